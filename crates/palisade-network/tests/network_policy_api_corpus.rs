//! The network-policy-api conformance suite (ClusterNetworkPolicy
//! `v1alpha2`) in its static form (`network/network-policy-api` in the
//! corpus): for every subtest, the policies in force and every expected
//! connection ("poke"). Each poke is answered by `Resolver::check` and must
//! get the expected verdict; every case is counted, failures are listed.
//!
//! The cluster is `pods.json`: its namespaces, its regular pods as
//! standalone pods with their synthetic IPs and declared (named) container
//! ports, and its nodes with their addresses. The host-networked `centaur`
//! pods are not endpoints: traffic to them is traffic to their node's IP,
//! as the corpus README says. Pokes made while a namespace was relabelled
//! carry `namespace_labels_override`; they are answered on a cluster with
//! those labels.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a failing test is the point"
)]

use std::collections::BTreeMap;
use std::path::Path;

use palisade_core::manifest::load_str;
use palisade_network::ports::Protocol;
use palisade_network::resolver::Flow;
use palisade_network::{Issues, Resolver};
use serde_json::{Value as Json, json};

/// Namespace name -> labels, for the pokes that override them.
type NamespaceLabels = BTreeMap<String, Json>;

/// The inventory of `pods.json` as manifests (YAML documents), with the
/// namespaces' labels replaced by `overrides`.
fn inventory_documents(pods: &Json, overrides: &NamespaceLabels) -> Vec<String> {
    let mut docs = Vec::new();
    for (name, ns) in pods["namespaces"].as_object().unwrap() {
        let labels = overrides.get(name).unwrap_or(&ns["labels"]);
        docs.push(json!({
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": labels},
        }));
    }
    for pod in pods["pods"].as_object().unwrap().values() {
        if pod["hostNetwork"].as_bool().unwrap() {
            continue;
        }
        let ports: Vec<Json> = pod["ports"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["declared"].as_bool() == Some(true))
            .map(|p| json!({"name": p["name"], "containerPort": p["port"], "protocol": p["protocol"]}))
            .collect();
        docs.push(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": pod["name"], "namespace": pod["namespace"], "labels": pod["labels"]},
            "spec": {"containers": [{"name": "agnhost", "ports": ports}]},
            "status": {"podIP": pod["ip"]},
        }));
    }
    for (name, node) in pods["nodes"].as_object().unwrap() {
        docs.push(json!({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": node["labels"]},
            "status": {"addresses": [{"type": "InternalIP", "address": node["ip"]}]},
        }));
    }
    docs.iter().map(Json::to_string).collect()
}

/// The resolver for one case's policies on the cluster with `overrides`.
fn resolver(pods: &Json, case: &Json, overrides: &NamespaceLabels) -> Resolver {
    let mut docs = inventory_documents(pods, overrides);
    docs.extend(
        case["policies_state"]
            .as_array()
            .unwrap()
            .iter()
            .map(Json::to_string),
    );
    let name = format!("{}[{}]", case["test"], case["subtest_index"]);
    let report = load_str(&name, &docs.join("\n---\n"));
    assert!(report.errors.is_empty(), "{name}: {:?}", report.errors);
    let mut issues = Issues::default();
    let resolver = Resolver::from_manifests(&report.objects, &mut issues);
    let problems: Vec<String> = issues.iter().map(ToString::to_string).collect();
    assert!(problems.is_empty(), "{name}: {problems:#?}");
    resolver
}

#[test]
fn every_poke_of_the_conformance_suite_is_answered_right() {
    let Some(root) = palisade_testkit::corpus("network/network-policy-api") else {
        return;
    };
    let pods: Json =
        serde_json::from_str(&std::fs::read_to_string(root.join("pods.json")).unwrap()).unwrap();
    let cases = std::fs::read_to_string(root.join("cases.jsonl")).unwrap();
    let mut answered = 0;
    let mut failures = Vec::new();
    let mut subtests = 0;
    for line in cases.lines().filter(|l| !l.trim().is_empty()) {
        let case: Json = serde_json::from_str(line).unwrap();
        subtests += 1;
        let mut resolvers: BTreeMap<String, Resolver> = BTreeMap::new();
        for poke in case["pokes"].as_array().unwrap() {
            let overrides: NamespaceLabels = poke
                .get("namespace_labels_override")
                .and_then(Json::as_object)
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default();
            let key = serde_json::to_string(&overrides).unwrap();
            let resolver = resolvers
                .entry(key)
                .or_insert_with(|| resolver(&pods, &case, &overrides));
            let from = poke["from"].as_str().unwrap();
            let to_ip = poke["to_ip"].as_str().unwrap();
            let protocol = Protocol::parse(poke["protocol"].as_str().unwrap()).unwrap();
            let port = u16::try_from(poke["port"].as_u64().unwrap()).unwrap();
            let flow = Flow {
                src: resolver.flow_end(from).unwrap(),
                dst: resolver.flow_end(to_ip).unwrap(),
                protocol,
                port,
            };
            let verdict = resolver.check(&flow);
            let expect = poke["expect"].as_bool().unwrap();
            answered += 1;
            if verdict.allowed != expect {
                failures.push(format!(
                    "{} [{}] {}: {from} -> {} ({to_ip}) {protocol}/{port}: expected {}, got {}\n    {}",
                    case["test"].as_str().unwrap(),
                    case["subtest_index"],
                    case["subtest"].as_str().unwrap(),
                    poke["to"].as_str().unwrap(),
                    if expect { "allowed" } else { "denied" },
                    if verdict.allowed {
                        "allowed"
                    } else {
                        "denied"
                    },
                    verdict.explanation().join("\n    "),
                ));
            }
        }
    }
    let right = answered - failures.len();
    println!(
        "network-policy-api conformance: {right} of {answered} pokes right, in {subtests} subtests"
    );
    assert_eq!(
        (subtests, answered),
        (66, 226),
        "the corpus has 66 subtests, 226 pokes"
    );
    let wrong = failures.join("\n");
    assert_eq!(right, answered, "pokes answered wrong:\n{wrong}");
}

/// The corpus's own base manifests (StatefulSets with templates, Go
/// templates left in the host-network ports) load without a panic, and the
/// four regular workloads are endpoints.
#[test]
fn the_base_manifests_load() {
    let Some(root) = palisade_testkit::corpus("network/network-policy-api") else {
        return;
    };
    let report = palisade_core::manifest::load_paths(&[Path::new(&root.join("base"))]);
    let mut issues = Issues::default();
    let resolver = Resolver::from_manifests(&report.objects, &mut issues);
    for sts in [
        "network-policy-conformance-gryffindor/harry-potter",
        "network-policy-conformance-slytherin/draco-malfoy",
        "network-policy-conformance-hufflepuff/cedric-diggory",
        "network-policy-conformance-ravenclaw/luna-lovegood",
    ] {
        assert!(resolver.flow_end(sts).is_some(), "{sts} is not an endpoint");
    }
}
