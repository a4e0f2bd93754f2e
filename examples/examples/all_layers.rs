//! All three layers through `Palisade`: load the mixed example directory,
//! replay the example event stream, print one report and the coverage table.
//!
//! `cargo run -p palisade-examples --example all_layers`

use palisade::{Layer, Palisade};

fn main() -> Result<(), palisade::PalisadeError> {
    let palisade = Palisade::load_dir(&palisade_examples::mixed_dir())?;
    for file in palisade.files() {
        println!("input   {:<15} {}", file.kind.as_str(), file.path.display());
    }
    let events = palisade::runtime::FlatEvents::parse(
        palisade_examples::EVENTS_JSONL,
        &palisade::runtime::alert_schema(),
    )
    .map_err(|source| palisade::EventsError::Parse {
        path: "events.jsonl".into(),
        source,
    })?;
    let report = palisade.report(Some(&events));
    for layer in Layer::ALL {
        println!("{layer}: {} findings", report.layer(layer).count());
        for f in report.layer(layer).take(3) {
            println!("  {} {}: {}", f.severity, f.policy, f.message);
        }
    }
    for c in &report.coverage {
        println!(
            "coverage {:<9} {:>5.1}% {}",
            c.layer.as_str(),
            c.share * 100.0,
            c.policy
        );
    }
    println!("report failed: {}", report.failed());
    Ok(())
}
