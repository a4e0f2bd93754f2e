//! Every corpus capture, read by the native `.scap` reader, gives exactly
//! the events sysdig 0.29.3 showed (`<capture>.events.jsonl`: the same
//! `evt.num`, `evt.type` and `evt.dir`, in order), its block counts agree
//! with the corpus README, and — where `sysdig` is installed — the event
//! count per type agrees with what `sysdig -r` prints now.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a failing test is the point"
)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use palisade_runtime::scap::threads::ThreadTable;
use palisade_runtime::scap::{Capture, CaptureEvents, FIELDS, RawEvent};

/// `(name, capture path, events file path)` of every corpus capture.
fn captures() -> Option<Vec<(String, PathBuf, PathBuf)>> {
    Some(
        palisade_testkit::captures()?
            .into_iter()
            .map(|c| (c.name, c.scap, c.events))
            .collect(),
    )
}

/// The recorded events of an events file, by `evt.num`.
fn by_num(events: &PathBuf) -> BTreeMap<u64, serde_json::Value> {
    std::fs::read_to_string(events)
        .unwrap()
        .lines()
        .map(|l| {
            let e: serde_json::Value = serde_json::from_str(l).unwrap();
            (e["evt.num"].as_u64().unwrap(), e)
        })
        .collect()
}

/// Visits every event of every capture that sysdig printed, in order,
/// with the capture's name, its thread table brought up to that event, and
/// what sysdig printed for it.
fn each_printed_event(
    captures: &[(String, PathBuf, PathBuf)],
    mut visit: impl FnMut(&str, &ThreadTable, &RawEvent<'_>, &serde_json::Value),
) {
    for (name, scap, events) in captures {
        let expected = by_num(events);
        let mut capture = Capture::open(scap).unwrap();
        let mut table = ThreadTable::from_metadata(capture.metadata());
        while let Some(event) = capture.next_event().unwrap() {
            table.update(&event);
            if let Some(e) = expected.get(&event.num) {
                visit(name, &table, &event, e);
            }
        }
    }
}

/// Fails listing (the first 40 of) `failures` when there are any.
fn assert_none_differ(failures: &[String], compared: usize) {
    assert!(
        failures.is_empty(),
        "{} of {compared} differ:\n{}",
        failures.len(),
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// `evt.num evt.dir evt.type` of every shown event, and every event
/// record's number (shown or not).
fn shown(path: &PathBuf) -> (Vec<String>, u64) {
    let mut capture = Capture::open(path).unwrap();
    let mut lines = Vec::new();
    let mut records = 0;
    while let Some(event) = capture.next_event().unwrap() {
        records += 1;
        assert_eq!(event.num, records, "evt.num counts every record");
        if event.shown {
            lines.push(format!(
                "{} {} {}",
                event.num,
                event.direction(),
                event.type_name()
            ));
        }
    }
    (lines, records)
}

#[test]
fn every_capture_shows_the_events_sysdig_showed() {
    let Some(captures) = captures() else {
        return;
    };
    assert_eq!(captures.len(), 8);
    for (name, scap, events) in &captures {
        let expected: Vec<String> = std::fs::read_to_string(events)
            .unwrap()
            .lines()
            .map(|l| {
                let e: serde_json::Value = serde_json::from_str(l).unwrap();
                format!(
                    "{} {} {}",
                    e["evt.num"],
                    e["evt.dir"].as_str().unwrap(),
                    e["evt.type"].as_str().unwrap()
                )
            })
            .collect();
        let (actual, _) = shown(scap);
        assert_eq!(actual.len(), expected.len(), "{name}: shown events");
        for (a, e) in actual.iter().zip(&expected) {
            assert_eq!(a, e, "{name}");
        }
    }
}

/// What the corpus README says about two captures' blocks.
#[test]
fn block_counts_agree_with_the_corpus_readme() {
    let Some(captures) = captures() else {
        return;
    };
    let path = |n: &str| captures.iter().find(|c| c.0 == n).unwrap().1.clone();
    // "In cat_write.scap, 345 event blocks give 85 events, numbered 131 to 215."
    let (lines, records) = shown(&path("cat_write"));
    assert_eq!(records, 345);
    assert_eq!(lines.len(), 85);
    assert!(lines.first().unwrap().starts_with("131 "));
    assert!(lines.last().unwrap().starts_with("215 "));
    // "empty.scap has 143 event blocks and no shown event."
    let (lines, records) = shown(&path("empty"));
    assert_eq!((lines.len(), records), (0, 143));
}

/// The metadata blocks: machine, threads, fds, users and interfaces are
/// read from every capture, and what the shown events say about their
/// threads is in the process list (cat's parent bash, 11310).
#[test]
fn metadata_blocks_are_read() {
    let Some(captures) = captures() else {
        return;
    };
    for (name, scap, _) in &captures {
        let mut capture = Capture::open(scap).unwrap();
        while capture.next_event().unwrap().is_some() {}
        let md = capture.metadata();
        let machine = md.machine.as_ref().unwrap();
        assert!(machine.num_cpus > 0, "{name}: cpus");
        assert!(!machine.hostname.is_empty(), "{name}: hostname");
        assert!(
            md.threads.len() > 10,
            "{name}: threads {}",
            md.threads.len()
        );
        assert!(md.fds.len() > 10, "{name}: fds {}", md.fds.len());
        let creds = &md.credentials;
        let root_user = creds.users.iter().find(|u| u.uid == 0).map(|u| &u.name);
        let root_group = creds.groups.iter().find(|g| g.gid == 0).map(|g| &g.name);
        assert_eq!(
            (root_user.unwrap(), root_group.unwrap()),
            (&"root".to_owned(), &"root".to_owned()),
            "{name}"
        );
        assert!(!md.interfaces.is_empty(), "{name}: interfaces");
        assert!(
            md.threads.values().all(|t| !t.comm.is_empty() && t.tid > 0),
            "{name}: every thread has a name and a tid"
        );
        let counts = capture.block_counts();
        assert_eq!(counts.skipped, 0, "{name}: no unknown blocks");
    }
    let cat = &captures.iter().find(|c| c.0 == "cat_write").unwrap().1;
    let mut capture = Capture::open(cat).unwrap();
    while capture.next_event().unwrap().is_some() {}
    let bash = &capture.metadata().threads[&11310];
    assert_eq!(bash.comm, "bash");
    assert_eq!(bash.args, ["--noediting", "-i"]);
}

/// The parameters of shown events decode to what sysdig printed for them
/// (`evt.arg.*` of `<capture>.events.jsonl` for string parameters that
/// sysdig prints as they are).
#[test]
fn string_parameters_are_what_sysdig_printed() {
    let Some(captures) = captures() else {
        return;
    };
    let mut compared = 0;
    each_printed_event(&captures, |name, _, event, e| {
        for arg in ["name", "path", "filename", "oldpath", "newpath", "target"] {
            let key = format!("evt.arg.{arg}");
            let Some(want) = e[&key].as_str() else {
                continue;
            };
            let got = event.param_named(arg).unwrap().value();
            let palisade_runtime::scap::ParamValue::Str(bytes) = got else {
                panic!("{name} {}: {key} is {got:?}", event.num);
            };
            assert_eq!(
                String::from_utf8_lossy(bytes),
                want,
                "{name} {}: {key}",
                event.num
            );
            compared += 1;
        }
    });
    assert!(compared > 100, "only {compared} parameters compared");
}

/// Differential: `sysdig -r` (when installed) counts the same events per
/// type and direction.
#[test]
fn event_counts_per_type_agree_with_sysdig() {
    let Some(captures) = captures() else {
        return;
    };
    if std::process::Command::new("sysdig")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipping: sysdig is not installed (apt-get install sysdig)");
        return;
    }
    for (name, scap, _) in &captures {
        let out = std::process::Command::new("sysdig")
            .args(["-r"])
            .arg(scap)
            .args(["-p", "%evt.num %evt.dir %evt.type"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}: sysdig failed");
        let mut theirs: BTreeMap<String, u64> = BTreeMap::new();
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let mut words = line.splitn(2, ' ');
            let _num = words.next();
            *theirs
                .entry(words.next().unwrap_or("").to_owned())
                .or_default() += 1;
        }
        let mut ours: BTreeMap<String, u64> = BTreeMap::new();
        for line in shown(scap).0 {
            let mut words = line.splitn(2, ' ');
            let _num = words.next();
            *ours.entry(words.next().unwrap().to_owned()).or_default() += 1;
        }
        assert_eq!(ours, theirs, "{name}");
    }
}

/// The thread table (process list, then clone/fork/execve/procexit) gives
/// the `proc.*` values sysdig printed, on every shown event of every
/// capture.
#[test]
fn process_fields_are_what_sysdig_printed() {
    let Some(captures) = captures() else {
        return;
    };
    let fields: [(&str, Option<&str>, &str); 11] = [
        ("proc.name", None, "proc.name"),
        ("proc.exe", None, "proc.exe"),
        ("proc.args", None, "proc.args"),
        ("proc.cmdline", None, "proc.cmdline"),
        ("proc.pname", None, "proc.pname"),
        ("proc.pcmdline", None, "proc.pcmdline"),
        ("proc.aname", Some("1"), "proc.aname[1]"),
        ("proc.aname", Some("2"), "proc.aname[2]"),
        ("proc.aname", Some("3"), "proc.aname[3]"),
        ("proc.aname", Some("4"), "proc.aname[4]"),
        ("proc.aname", Some("5"), "proc.aname[5]"),
    ];
    let mut failures = Vec::new();
    let mut compared = 0;
    each_printed_event(&captures, |name, table, event, e| {
        for (field, arg, key) in fields {
            let want = e[key].as_str().map(str::to_owned);
            let got = table.proc_field(event.tid, field, arg);
            compared += 1;
            if got != want {
                failures.push(format!("{name} {} {key}: {got:?} != {want:?}", event.num));
            }
        }
    });
    assert!(compared > 10_000, "{compared}");
    assert_none_differ(&failures, compared);
}

/// `evt.res` and `evt.rawres` of every shown event are what sysdig printed.
#[test]
fn results_are_what_sysdig_printed() {
    let Some(captures) = captures() else {
        return;
    };
    let mut failures = Vec::new();
    let mut compared = 0;
    each_printed_event(&captures, |name, _, event, e| {
        let got = (event.res().map(|r| r.into_owned()), event.rawres());
        let want = (
            e["evt.res"].as_str().map(str::to_owned),
            e["evt.rawres"].as_i64(),
        );
        compared += 1;
        if got != want {
            failures.push(format!(
                "{name} {} {}: {got:?} != {want:?}",
                event.num,
                event.type_name()
            ));
        }
    });
    assert!(compared > 1_000, "{compared}");
    assert_none_differ(&failures, compared);
}

/// The events a capture gives as rules see them ([`CaptureEvents`]): every
/// field the reader derives ([`FIELDS`]) equals what sysdig printed, on
/// every shown event of every capture, and the events are exactly the
/// printed ones.
#[test]
fn capture_events_carry_the_fields_sysdig_printed() {
    let Some(captures) = captures() else {
        return;
    };
    let mut failures = Vec::new();
    let mut per_field: BTreeMap<&str, usize> = BTreeMap::new();
    let mut compared = 0;
    for (name, scap, events) in &captures {
        let expected = by_num(events);
        let mut reader = CaptureEvents::open(scap).unwrap();
        let mut seen = 0;
        while let Some(object) = reader.next_object().unwrap() {
            let num = object["evt.num"].as_u64().unwrap();
            let want = &expected[&num];
            seen += 1;
            for &field in FIELDS {
                compared += 1;
                if object[field] != want[field] {
                    *per_field.entry(field).or_default() += 1;
                    failures.push(format!(
                        "{name} {num} {field}: {} != {}",
                        object[field], want[field]
                    ));
                }
            }
        }
        assert_eq!(seen, expected.len(), "{name}: shown events");
    }
    assert!(compared > 50_000, "{compared}");
    assert!(per_field.is_empty(), "mismatches per field: {per_field:?}");
    assert_none_differ(&failures, compared);
}
