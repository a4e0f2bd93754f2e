//! Load Kubernetes manifests and list what was found, with where it came from.
//!
//! `cargo run -p palisade-examples --example load_manifests`

use palisade::manifest;

fn main() {
    let report = manifest::load_str("cluster.yaml", palisade_examples::CLUSTER_YAML);
    for object in &report.objects {
        println!(
            "{:<60} {}",
            object.object_ref().to_string(),
            object.source.location()
        );
    }
    for error in &report.errors {
        eprintln!("error: {error}");
    }
}
