//! Golden bytecode listings: compiler changes show up in review. Run with
//! `PALISADE_BLESS=1` to rewrite `tests/golden/*.txt`.

use std::path::PathBuf;

use palisade_core::Severity;
use palisade_runtime::disasm::listing;
use palisade_runtime::fields::Schema;
use palisade_runtime::parser::parse;
use palisade_runtime::ruleset::{RuleSet, RuleSpec};

const CASES: &[(&str, &[(&str, &str)])] = &[
    (
        "and_or",
        &[
            (
                "and",
                "evt.type = execve and proc.name = nc and fd.num >= 0",
            ),
            ("or", "proc.name = a or proc.name = b or not fd.name exists"),
        ],
    ),
    (
        "event_types",
        &[
            (
                "in",
                "evt.type in (open, openat, openat2) and evt.is_open_write = true",
            ),
            ("ne", "evt.type != switch and proc.name = cat"),
            ("not_and", "not (evt.type = open and proc.name = cat)"),
            ("unknown", "evt.type = no_such_event or proc.name = x"),
        ],
    ),
    (
        "folding",
        &[
            ("empty_in", "proc.name in () or fd.num = 3"),
            ("double_not", "not not proc.name = cat"),
            ("not_empty", "not evt.type in () and user.uid = 0"),
        ],
    ),
    (
        "operators",
        &[
            (
                "strings",
                "fd.name glob '/etc/*' and fd.name pmatch (/usr/lib, /etc) and proc.cmdline icontains CURL",
            ),
            (
                "networks",
                "fd.snet in (\"10.0.0.0/8\", \"192.168.0.0/16\") or fd.sip = ::1",
            ),
            (
                "modifiers",
                "proc.name startswith anyof (py, ru) and tolower(proc.exe) = bash",
            ),
            (
                "val",
                "proc.name = val(proc.pname) and len(proc.cmdline) > 100",
            ),
        ],
    ),
    (
        "transformers",
        &[
            (
                "join_concat",
                "evt.type = open and join(\"/\", (proc.name, fd.num)) = \"cat/3\" and toupper(concat(proc.name, \"-\", fd.name)) startswith CAT-",
            ),
            (
                "getopt",
                "evt.type = execve and (getopt((\"-e\", proc.exe), \"le:\")[e] = /bin/sh or getopt((\"-l\", proc.name), \"le:\") intersects (l, \"?\"))",
            ),
        ],
    ),
];

#[test]
fn listings_match_golden_files() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut mismatches = Vec::new();
    for (file, rules) in CASES {
        let mut builder = RuleSet::builder(Schema::falco());
        for (name, condition) in *rules {
            builder
                .add(RuleSpec::new(
                    *name,
                    parse(condition).unwrap(),
                    Severity::Warning,
                ))
                .unwrap();
        }
        let got = listing(&builder.build(), None).unwrap();
        if let Err(e) = palisade_testkit::bless::check(&dir.join(format!("{file}.txt")), &got) {
            mismatches.push(e);
        }
    }
    assert!(
        mismatches.is_empty(),
        "listings differ (PALISADE_BLESS=1 rewrites them):\n{}",
        mismatches.join("\n")
    );
}
