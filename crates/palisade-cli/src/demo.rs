//! `palisade demo`: Palisade on built-in example data, no files needed.
//!
//! Today it loads the example cluster shipped in `examples/data/` (compiled
//! into the binary) and lists what it found. Each layer extends it with its
//! own part of the demonstration as it lands.

use palisade::manifest;

use crate::exit::Exit;
use crate::manifests::print_report;
use crate::output::{Output, Style};
use crate::{admission, network, runtime};

/// The example cluster: namespaces, workloads, a service and policies.
const CLUSTER: &str = include_str!("../../../examples/data/cluster.yaml");

/// Runs `palisade demo`.
pub fn run(out: &Output) -> Exit {
    if !out.json() {
        out.line(&out.paint(Style::Bold, "Palisade demo: the example cluster"));
        out.line("");
    }
    let report = manifest::load_str("examples/data/cluster.yaml", CLUSTER);
    print_report(out, &report);
    if !report.is_ok() {
        return Exit::InputError;
    }
    // Each layer's part; the demo fails if any part cannot run.
    let parts = [admission::demo(out), runtime::demo(out), network::demo(out)];
    parts
        .into_iter()
        .find(|exit| *exit == Exit::InputError)
        .unwrap_or(Exit::Ok)
}
