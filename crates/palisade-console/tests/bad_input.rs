//! Bad input on every ingesting endpoint of a running console, over HTTPS:
//! each case's exact answer (status and JSON body) is in `<case>.expected`,
//! and after each suite nothing was stored.

mod harness;

use harness::Console;
use palisade_testkit::bad_input;

#[test]
fn bad_input_is_refused_with_a_clear_4xx_and_nothing_is_stored() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = harness::temp("bad-input-db");
    let config = harness::config("bad-input", &dir.join("palisade.db").display().to_string());
    let console = runtime.block_on(Console::start(config));

    bad_input::run("tests/bad_input/events", |case| {
        runtime.block_on(console.refusal("/api/v1/events", case.bytes))
    });
    bad_input::run("tests/bad_input/falco", |case| {
        runtime.block_on(console.refusal("/api/v1/falco", case.bytes))
    });
    bad_input::run("tests/bad_input/admission", |case| {
        runtime.block_on(console.refusal("/api/v1/admission", case.bytes))
    });
    bad_input::run("tests/bad_input/flows", |case| {
        runtime.block_on(console.refusal("/api/v1/flows", case.bytes))
    });
    bad_input::run("tests/bad_input/exceptions", |case| {
        runtime.block_on(console.refusal(
            "/api/v1/rules/Read%20sensitive%20file/exceptions",
            case.bytes,
        ))
    });

    runtime.block_on(async {
        for (list, what) in [
            ("/api/v1/alerts", "alerts"),
            ("/api/v1/decisions", "decisions"),
            ("/api/v1/flows", "flow findings"),
        ] {
            let (status, body) = console.get(list).await;
            assert_eq!(status, 200, "{list}: {body}");
            assert_eq!(
                body["items"],
                serde_json::json!([]),
                "a refused batch stored {what}"
            );
        }
        let (_, summary) = console.get("/api/v1/summary").await;
        assert_eq!(
            summary["flows"],
            serde_json::json!({}),
            "a refused batch counted flows"
        );
        let rule = console.rule("Read sensitive file").await;
        assert_eq!(rule["exceptions"], 0, "a refused exception was stored");
        let metrics = console.text("/metrics").await;
        let refused: u64 = metrics
            .lines()
            .filter(|l| l.starts_with("palisade_console_refused_total{reason=\"bad_request\"}"))
            .filter_map(|l| l.rsplit(" ").next()?.parse::<u64>().ok())
            .sum();
        assert!(refused >= 60, "refusals are counted: {refused}\n{metrics}");
        console.stop().await;
    });
}
