//! A runtime matcher fed from a channel of events on several threads: the
//! compiled rules (a `RuntimeEngine`: the `RuleSet` with its outputs
//! compiled) are shared (`Send + Sync`, cheap to clone), each worker owns
//! its scratch `Matcher`, and alerts render as `palisade runtime replay`
//! renders them.
//!
//! `cargo run -p palisade-examples --example runtime_threads`

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;

use palisade::runtime::{Event, FlatEvents, MatchMode, compile_texts, engine};
use palisade::{Engine, Verdict};

const WORKERS: usize = 3;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rules = compile_texts(
        &[("falco-rules.yaml", palisade_examples::FALCO_RULES_YAML)],
        MatchMode::All,
    )?;
    let events = FlatEvents::parse(palisade_examples::EVENTS_JSONL, rules.schema())?;
    let rules = engine(rules)?;

    // The producer: events into a channel (a real service would read them
    // from a socket or a ring buffer). Workers share the receiving end.
    let (tx, rx) = mpsc::channel();
    let rx = Arc::new(Mutex::new(rx));
    let (alerts_tx, alerts_rx) = mpsc::channel::<String>();
    let mut workers = Vec::new();
    for id in 0..WORKERS {
        let rules = rules.clone();
        let rx = Arc::clone(&rx);
        let alerts = alerts_tx.clone();
        workers.push(thread::spawn(move || {
            let mut matcher = rules.scratch(); // per-thread scratch
            loop {
                let next = rx
                    .lock()
                    .map_err(|_| ())
                    .and_then(|r| r.recv().map_err(|_| ()));
                let Ok(event) = next else { break };
                let verdict = rules.evaluate(&mut matcher, &event as &dyn Event);
                for alert in verdict.findings() {
                    let line = format!(
                        "worker {id}: {} [{}] {}",
                        alert.policy, alert.severity, alert.message
                    );
                    if alerts.send(line).is_err() {
                        return;
                    }
                }
            }
        }));
    }
    drop(alerts_tx);
    // Send every event a few times, as a busy stream would.
    for _ in 0..4 {
        for event in events.events() {
            tx.send(event.clone())?;
        }
    }
    drop(tx);
    for worker in workers {
        worker.join().map_err(|_| "a worker panicked")?;
    }
    let mut alerts: Vec<String> = alerts_rx.iter().collect();
    alerts.sort();
    for alert in &alerts {
        println!("{alert}");
    }
    println!(
        "{} alerts from {} events on {WORKERS} threads",
        alerts.len(),
        events.events().len() * 4
    );
    Ok(())
}
