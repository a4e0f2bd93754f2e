//! Replays `fuzz/regressions/network/*` through the `network` fuzz
//! target's code path: manifests, resolver, matrix, without a crash.

use palisade_network::{Issues, Resolver};

#[test]
fn network_regressions_replay() {
    palisade_testkit::fuzz::replay_refused("regressions/network", 1, |text| {
        let report = palisade_core::manifest::load_str("fuzz.yaml", text);
        let mut issues = Issues::default();
        let resolver = Resolver::from_manifests(&report.objects, &mut issues);
        let _ = resolver.matrix();
        let _ = palisade_network::audit::audit(&resolver);
        report.errors.len()
    });
}
