//! `palisade demo`: the three layers on built-in example data, no files
//! needed, in well under a second.
//!
//! 1. the example cluster shipped in `examples/data/` (compiled into the
//!    binary);
//! 2. admission: a denied and an allowed object, with the reasons;
//! 3. runtime: alerts from rules over a built-in event stream;
//! 4. network: the connectivity matrix and one explained denial.
//!
//! With `--format json` the parts are gathered into one JSON object:
//! `{"cluster": .., "admission": .., "runtime": [alerts], "network": ..}`.

use palisade::manifest;

use crate::exit::Exit;
use crate::manifests::print_report;
use crate::output::{Output, Style};
use crate::{admission, network, runtime};

/// The example cluster: namespaces, workloads, a service and policies.
const CLUSTER: &str = include_str!("../../../examples/data/cluster.yaml");

/// One part of the demo.
type Part = fn(&Output) -> Exit;

/// The layer parts, in the order a workload meets them.
const PARTS: [(&str, Part); 3] = [
    ("admission", admission::demo),
    ("runtime", runtime::demo),
    ("network", network::demo),
];

/// Runs `palisade demo`.
pub fn run(out: &Output) -> Exit {
    if out.json() {
        return run_json(out);
    }
    out.line(&out.paint(Style::Bold, "Palisade demo: the example cluster"));
    out.line("");
    let report = manifest::load_str("examples/data/cluster.yaml", CLUSTER);
    print_report(out, &report);
    if !report.is_ok() {
        return Exit::InputError;
    }
    let mut exit = Exit::Ok;
    for (name, part) in PARTS {
        if name == "runtime" {
            out.line("");
            out.line(&out.paint(
                Style::Bold,
                "Runtime: built-in Falco rules over a built-in event stream",
            ));
        }
        if part(out) == Exit::InputError {
            exit = Exit::InputError;
        }
    }
    exit
}

/// Every part's JSON, in one object.
fn run_json(out: &Output) -> Exit {
    let mut doc = serde_json::Map::new();
    let mut exit = Exit::Ok;
    let cluster = out.capturing();
    let report = manifest::load_str("examples/data/cluster.yaml", CLUSTER);
    print_report(&cluster, &report);
    doc.insert("cluster".to_owned(), merged(&cluster.captured()));
    if !report.is_ok() {
        exit = Exit::InputError;
    }
    for (name, part) in PARTS {
        let capture = out.capturing();
        if part(&capture) == Exit::InputError {
            exit = Exit::InputError;
        }
        let mut value = merged(&capture.captured());
        // A part that wraps itself in `{"<name>": ..}` is unwrapped.
        if let Some(inner) = value.as_object_mut().and_then(|o| o.remove(name)) {
            value = inner;
        }
        doc.insert(name.to_owned(), value);
    }
    out.print_json(&doc);
    exit
}

/// The JSON documents a part printed: one document as is, several (one per
/// line, as runtime alerts are) as an array.
fn merged(text: &str) -> serde_json::Value {
    let values: Vec<serde_json::Value> = serde_json::Deserializer::from_str(text)
        .into_iter::<serde_json::Value>()
        .map_while(Result::ok)
        .collect();
    match <[serde_json::Value; 1]>::try_from(values) {
        Ok([one]) => one,
        Err(values) => serde_json::Value::Array(values),
    }
}
