//! The posture on the example data, on an empty cluster, and the answers
//! file's bad-input cases (each with its `.expected` message).

use std::path::{Path, PathBuf};

use palisade::Palisade;
use palisade::posture::{Answer, Answers, PillarName, PostureContext, Source, TestResults};

fn here() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/posture")
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/data/mixed")
}

#[test]
fn the_example_data_scores_as_documented() {
    let palisade = Palisade::load_dir(&examples()).unwrap();
    let posture = palisade.posture(&PostureContext {
        tests: Some(TestResults::run(&examples())),
        ..PostureContext::default()
    });
    // docs/posture.md walks through this score.
    let pillars: Vec<(PillarName, u32)> =
        posture.pillars.iter().map(|p| (p.name, p.score)).collect();
    assert_eq!(
        pillars,
        [
            (PillarName::Admission, 84),
            (PillarName::Runtime, 24),
            (PillarName::Network, 53),
            (PillarName::Hygiene, 40),
        ]
    );
    assert_eq!(posture.score, 51);
    // Every point lost has a reason, and the reasons add up to the loss.
    for pillar in &posture.pillars {
        let lost: f64 = pillar.reasons.iter().map(|r| r.points).sum();
        assert!(
            (100.0 - f64::from(pillar.score) - lost).abs() < 1.0,
            "{pillar:?}"
        );
    }
    let reasons: Vec<&str> = posture.pillars[0]
        .reasons
        .iter()
        .map(|r| r.reason.as_str())
        .collect();
    assert!(
        reasons.iter().any(|r| r.contains("shop/debug")),
        "{reasons:?}"
    );
    let runtime = &posture.pillars[1];
    assert!(
        runtime
            .reasons
            .iter()
            .any(|r| r.reason == "no enabled rule detects `kernel module load`")
    );
    // The form: alerts cannot be measured from files and were not answered.
    let alerts = posture.questions.iter().find(|q| q.id == "alerts").unwrap();
    assert_eq!(
        (alerts.answer, alerts.source),
        (Answer::No, Source::Answered)
    );
    assert_eq!(posture.form_score, 40);
}

#[test]
fn answers_and_operations_move_the_score() {
    let palisade = Palisade::load_dir(&examples()).unwrap();
    let answers = Answers::load(&here().join("good-answers.yaml")).unwrap();
    let answered = palisade.posture(&PostureContext {
        answers: answers.clone(),
        ..PostureContext::default()
    });
    let alerts = answered
        .questions
        .iter()
        .find(|q| q.id == "alerts")
        .unwrap();
    assert_eq!((alerts.answer, alerts.points), (Answer::Partly, 10));
    // With the console's operations, alerts are measured, not answered.
    let measured = palisade.posture(&PostureContext {
        answers,
        operations: Some(palisade::posture::Operations {
            dedup_window: Some(std::time::Duration::from_secs(300)),
            oncall_routing: true,
            ..Default::default()
        }),
        tests: None,
    });
    let alerts = measured
        .questions
        .iter()
        .find(|q| q.id == "alerts")
        .unwrap();
    assert_eq!(
        (alerts.answer, alerts.source),
        (Answer::Yes, Source::Measured)
    );
    assert!(measured.pillars[1].score > answered.pillars[1].score);
    // Disabling the rule that detects shells loses its points.
    let mut ops = palisade::posture::Operations::default();
    ops.disabled_rules
        .insert("Terminal shell in container".to_owned());
    let disabled = palisade.posture(&PostureContext {
        operations: Some(ops),
        ..PostureContext::default()
    });
    assert!(
        disabled.pillars[1]
            .reasons
            .iter()
            .any(|r| r.reason == "no enabled rule detects `shell in container`")
    );
}

#[test]
fn an_empty_cluster_has_a_defined_score() {
    let palisade = Palisade::load_dir(&here().join("empty")).unwrap();
    assert!(palisade.workloads().is_empty());
    let posture = palisade.posture(&PostureContext::default());
    let pillars: Vec<u32> = posture.pillars.iter().map(|p| p.score).collect();
    // Admission: the namespace is restricted (40) and nothing violates (30);
    // no policies (0). Runtime: nothing. Network: no policies. Hygiene:
    // nothing to test, nothing covered.
    assert_eq!(pillars, [70, 0, 0, 0]);
    assert_eq!(posture.score, 21);
    let json = serde_json::to_value(&posture).unwrap();
    assert_eq!(json["score"], 21);
}

#[test]
fn bad_answers_files_are_refused_with_their_position() {
    palisade_testkit::bad_input::run("tests/posture/answers", |case| {
        let text = String::from_utf8_lossy(case.bytes);
        Answers::parse(&case.path_str(), &text)
            .err()
            .map(|e| e.to_string())
    });
}
