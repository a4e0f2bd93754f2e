//! Network what-if: would this new policy cut anything off? Compile the
//! cluster with and without the proposed policy and compare the
//! connectivity lists.
//!
//! `cargo run -p palisade-examples --example network_what_if`

use std::collections::BTreeMap;

use palisade::manifest;
use palisade::network::{ConnList, resolver};

/// The proposed change: close the shop namespace to ingress except the web
/// frontend's port.
const PROPOSED: &str = r#"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: shop-ingress-web-only
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
    - ports:
        - {protocol: TCP, port: 8080}
"#;

fn connections(text: &[(&str, &str)]) -> Result<BTreeMap<(String, String), String>, String> {
    let mut objects = Vec::new();
    for (name, body) in text {
        let report = manifest::load_str(name, body);
        if let Some(e) = report.errors.first() {
            return Err(e.to_string());
        }
        objects.extend(report.objects);
    }
    let (resolver, issues) = resolver(&objects);
    for issue in &issues {
        eprintln!("warning: {issue}");
    }
    Ok(ConnList::new(&resolver)
        .connections
        .into_iter()
        .map(|c| ((c.src, c.dst), c.conn))
        .collect())
}

fn main() -> Result<(), String> {
    let cluster = ("cluster.yaml", palisade_examples::CLUSTER_YAML);
    let before = connections(&[cluster])?;
    let after = connections(&[cluster, ("proposed.yaml", PROPOSED)])?;
    let mut cut = 0;
    for ((src, dst), conn) in &before {
        match after.get(&(src.clone(), dst.clone())) {
            None => {
                cut += 1;
                println!("CUT OFF   {src} => {dst} (was: {conn})");
            }
            Some(now) if now != conn => {
                cut += 1;
                println!("NARROWED  {src} => {dst}: {conn} -> {now}");
            }
            Some(_) => {}
        }
    }
    println!(
        "{cut} of {} connections cut off or narrowed by the proposed policy",
        before.len()
    );
    Ok(())
}
