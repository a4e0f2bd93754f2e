//! Network manifests and the resolver never panic: any text is loaded as
//! manifests, the policies and inventory are built, and flows between the
//! first endpoints (and to an outside address) are checked, with the
//! matrix and the audit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_network::ports::Protocol;
use palisade_network::resolver::{Flow, FlowEnd};
use palisade_network::{Issues, Resolver};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let manifests = palisade_core::manifest::load_str("fuzz.yaml", &text).objects;
    let mut issues = Issues::default();
    let resolver = Resolver::from_manifests(&manifests, &mut issues);
    let endpoints = resolver.catalog().inventory.endpoints.len().min(6);
    let mut ends: Vec<FlowEnd> = (0..endpoints)
        .filter_map(|i| u32::try_from(i).ok())
        .map(|i| FlowEnd::Endpoint(palisade_network::inventory::EndpointId(i)))
        .collect();
    ends.extend(resolver.flow_end("10.1.2.3"));
    ends.extend(resolver.flow_end("entity:host"));
    for src in &ends {
        for dst in &ends {
            for (protocol, port) in [(Protocol::Tcp, 80), (Protocol::Udp, 53), (Protocol::Tcp, 0)] {
                let verdict = resolver.check(&Flow { src: *src, dst: *dst, protocol, port });
                let _ = verdict.explanation();
            }
        }
    }
    if endpoints > 0 && endpoints <= 6 {
        let _ = resolver.matrix();
        let _ = palisade_network::audit::audit(&resolver);
    }
});
