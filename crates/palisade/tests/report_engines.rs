//! `Palisade::report` is the three layers' engines driven through
//! `Engine::run`, and its runtime findings carry the output the alert
//! pipeline renders for the same rule and event.

use std::path::{Path, PathBuf};

use palisade::runtime::alerts::{AlertKind, FakeClock, Pipeline, PipelineConfig, Selection};
use palisade::runtime::{Event, MatchMode};
use palisade::{Engine, Layer, Palisade, Subject};

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/data")
}

#[test]
fn the_report_is_every_engine_run_in_layer_order() {
    let palisade = Palisade::load_dir(&data().join("mixed")).unwrap();
    let events = Palisade::read_events(&data().join("events.jsonl")).unwrap();
    let report = palisade.report(Some(&events));

    let mut expected = palisade.admission().run([]);
    let runtime = palisade.runtime().expect("the directory has a rules file");
    expected.extend(runtime.run(events.events().iter().map(|e| e as &dyn Event)));
    expected.extend(palisade.resolver().run([]));

    assert_eq!(report.findings, expected.findings);
    assert_eq!(report.coverage, expected.coverage);
    for layer in Layer::ALL {
        assert!(
            report.layer(layer).count() > 0,
            "{layer}: the example data has findings in every layer"
        );
    }
    // Layers come in order: admission, runtime, network.
    let layers: Vec<Layer> = report.findings.iter().map(|f| f.layer).collect();
    let mut sorted = layers.clone();
    sorted.sort_by_key(|l| Layer::ALL.iter().position(|x| x == l));
    assert_eq!(layers, sorted);
}

#[test]
fn runtime_findings_render_outputs_as_the_alert_pipeline_does() {
    let palisade = Palisade::load_dir(&data().join("mixed")).unwrap();
    let events = Palisade::read_events(&data().join("events.jsonl")).unwrap();
    let findings: Vec<_> = palisade
        .report(Some(&events))
        .findings
        .into_iter()
        .filter(|f| f.layer == Layer::Runtime)
        .collect();

    let rules = palisade.rules().unwrap().clone();
    let config = PipelineConfig {
        selection: Selection {
            mode: MatchMode::All,
            ..Selection::default()
        },
        dedup_window: None,
        hostname: Some("test".to_owned()),
        ..PipelineConfig::default()
    };
    let mut pipeline = Pipeline::new(rules, config, Box::new(FakeClock::new(0))).unwrap();
    let mut alerts = Vec::new();
    for event in events.events() {
        pipeline.process(event, &mut |a| alerts.push(a));
    }
    let alerts: Vec<_> = alerts
        .into_iter()
        .filter(|a| a.kind == AlertKind::Rule)
        .collect();

    assert_eq!(findings.len(), alerts.len());
    assert!(!findings.is_empty());
    for (finding, alert) in findings.iter().zip(&alerts) {
        assert_eq!(finding.policy, &*alert.rule);
        assert_eq!(finding.severity, alert.priority);
        // The pipeline's output line is `time: Priority ` + the rendered output.
        let prefix = format!(": {} ", alert.priority.falco_name());
        let (_, rendered) = alert.output.split_once(&prefix).unwrap();
        assert_eq!(finding.message, rendered);
        assert!(matches!(finding.subject, Some(Subject::Process(_))));
    }
}

/// `Palisade::read_events` takes `.scap` captures too (recognized by their
/// first bytes): every corpus capture gives the events sysdig printed from
/// it, and a report over the capture has the runtime findings of a report
/// over those printed events.
#[test]
fn captures_are_read_as_events_and_reported_as_their_printed_events() {
    let Some(dir) = palisade_testkit::corpus("falco/captures") else {
        return;
    };
    // Rules that fire on these captures (the example rules fire on none of
    // them, which would compare two empty lists).
    let rules_dir =
        std::env::temp_dir().join(format!("palisade-capture-rules-{}", std::process::id()));
    std::fs::create_dir_all(&rules_dir).unwrap();
    std::fs::write(
        rules_dir.join("falco-rules.yaml"),
        "- rule: File or socket opened\n  desc: every completed open or connect\n  condition: evt.type in (open, openat, openat2, connect) and evt.dir = <\n  output: \"%evt.type by %proc.name on %fd.name\"\n  priority: NOTICE\n",
    )
    .unwrap();
    let palisade = Palisade::load_dir(&rules_dir).unwrap();
    let runtime_findings = |events: &palisade::runtime::FlatEvents| {
        let findings: Vec<_> = palisade
            .report(Some(events))
            .findings
            .into_iter()
            .filter(|f| f.layer == Layer::Runtime)
            // The rule and its rendered output: the capture's subject also
            // knows `proc.pid`, which sysdig's printed events leave out.
            .map(|f| (f.policy, f.message))
            .collect();
        findings
    };
    let mut events_read = 0;
    let mut findings = 0;
    for capture in [
        "cat_write",
        "connect_localhost",
        "curl_google",
        "open-multiple-files",
        "psp_run_as_user_65534_container",
        "psp_write_tmp_test",
        "single_ipv6_conn",
    ] {
        let scap = Palisade::read_events(&dir.join(format!("{capture}.scap"))).unwrap();
        let printed = Palisade::read_events(&dir.join(format!("{capture}.events.jsonl"))).unwrap();
        let nums = |events: &palisade::runtime::FlatEvents| -> Vec<Option<u64>> {
            events.events().iter().map(|e| e.num()).collect()
        };
        assert_eq!(nums(&scap), nums(&printed), "{capture}");
        let fired = runtime_findings(&scap);
        assert_eq!(fired, runtime_findings(&printed), "{capture}");
        findings += fired.len();
        events_read += scap.events().len();
    }
    std::fs::remove_dir_all(&rules_dir).ok();
    assert!(events_read > 1_400, "{events_read}");
    assert!(
        findings > 20,
        "only {findings} runtime findings: the comparison needs some"
    );
}

/// The report lists, for each workload with admission findings, the fix
/// `admission fix` would make: the privileged `shop/debug` Pod of the
/// example data, and nothing for workloads the pack leaves unchanged; the
/// listed changes, applied to the manifest, give an object that passes Pod
/// Security `restricted` or names what still fails.
#[test]
fn the_report_lists_fixable_workloads_with_their_fix() {
    let palisade = Palisade::load_dir(&data().join("mixed")).unwrap();
    let report = palisade.report(None);
    let fixed: Vec<String> = report.fixes.iter().map(|f| f.object.to_string()).collect();
    assert_eq!(fixed, ["Pod shop/debug"]);
    let fix = &report.fixes[0];
    let ops: Vec<(&str, &str)> = fix
        .changes
        .iter()
        .map(|c| (c.op.as_str(), c.path.as_str()))
        .collect();
    assert_eq!(
        ops,
        [
            ("add", "/spec/securityContext"),
            (
                "add",
                "/spec/containers/0/securityContext/allowPrivilegeEscalation"
            ),
            ("add", "/spec/containers/0/securityContext/capabilities"),
            ("replace", "/spec/containers/0/securityContext/privileged"),
        ]
    );
    assert!(
        fix.changes
            .iter()
            .all(|c| c.policy == "palisade-remediation")
    );
    let workload = palisade
        .workloads()
        .iter()
        .find(|w| w.object_ref() == fix.object)
        .unwrap();
    assert_eq!(fix.location, workload.source.location());
    let mut object = workload.object.clone();
    for c in &fix.changes {
        let mut op = serde_json::json!({"op": c.op, "path": c.path});
        if let Some(v) = &c.value {
            op["value"] = v.clone();
        }
        let patch: json_patch::Patch = serde_json::from_value(serde_json::json!([op])).unwrap();
        json_patch::patch(&mut object, &patch).unwrap();
    }
    let level = palisade::admission::pss::LevelVersion::new(
        palisade::admission::pss::Level::Restricted,
        palisade::admission::pss::Version::Latest,
    );
    let remaining: Vec<String> = palisade::admission::pss::evaluate(level, &object)
        .unwrap()
        .failures
        .iter()
        .map(|f| f.check.to_string())
        .collect();
    let unfixable: Vec<String> = fix.unfixable.iter().map(|u| u.check.to_string()).collect();
    assert_eq!(remaining, unfixable);
    // Every other workload with an admission finding is one the pack
    // leaves as it is.
    let fixer = palisade::admission::mutate::fix::Fixer::with_pack(Vec::new());
    let flagged: Vec<_> = report
        .layer(Layer::Admission)
        .filter_map(|f| match &f.subject {
            Some(Subject::Object(o)) => Some(o.clone()),
            _ => None,
        })
        .collect();
    assert!(
        flagged.len() > 1,
        "the example data flags several workloads"
    );
    for w in palisade.workloads() {
        if flagged.contains(&w.object_ref()) && w.object_ref() != fix.object {
            assert!(
                fixer.fix(&w.object).changes.is_empty(),
                "{}",
                w.object_ref()
            );
        }
    }
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["fixes"][0]["object"]["name"], "debug");
    assert_eq!(
        json["fixes"][0]["changes"][3]["reason"],
        fix.changes[3].reason
    );
}
