//! One `Resolver` shared by 8 threads: every flow check gives the same
//! verdict and reasons as on one thread.

use palisade_core::manifest::load_str;
use palisade_network::ports::Protocol;
use palisade_network::resolver::{Flow, FlowEnd};
use palisade_network::{Issues, Resolver};

fn verdicts(resolver: &Resolver, ends: &[FlowEnd]) -> Vec<(bool, Vec<String>)> {
    let mut out = Vec::new();
    for src in ends {
        for dst in ends {
            for (protocol, port) in [
                (Protocol::Tcp, 80),
                (Protocol::Tcp, 5432),
                (Protocol::Udp, 53),
                (Protocol::Tcp, 8080),
            ] {
                let v = resolver.check(&Flow {
                    src: *src,
                    dst: *dst,
                    protocol,
                    port,
                });
                out.push((v.allowed, v.explanation()));
            }
        }
    }
    out
}

#[test]
fn shared_resolver_gives_the_same_verdicts_on_8_threads() {
    let text = include_str!("../../../examples/data/cluster.yaml");
    let manifests = load_str("cluster.yaml", text).objects;
    let mut issues = Issues::default();
    let resolver = Resolver::from_manifests(&manifests, &mut issues);
    let mut ends: Vec<FlowEnd> = (0..resolver.catalog().inventory.endpoints.len())
        .map(|i| {
            FlowEnd::Endpoint(palisade_network::inventory::EndpointId(
                u32::try_from(i).unwrap(),
            ))
        })
        .collect();
    ends.push(resolver.flow_end("8.8.8.8").unwrap());
    assert!(ends.len() > 3);
    let expected = verdicts(&resolver, &ends);
    assert!(expected.iter().any(|v| v.0) && expected.iter().any(|v| !v.0));
    palisade_testkit::threads::agree(8, 10, &expected, || verdicts(&resolver, &ends));
}
