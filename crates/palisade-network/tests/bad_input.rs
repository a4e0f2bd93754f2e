//! Bad-input suite of the network layer: every malformed policy under
//! `tests/bad_input/netpol/` is reported (a load error, or an issue naming
//! the file, line and field) with the message in its `<case>.expected`
//! file, and building the resolver never panics.

use std::path::Path;

use palisade_core::manifest::load_reader;
use palisade_network::flows::FlowJudge;
use palisade_network::intent::{Declaration, compare};
use palisade_network::{Issues, Resolver};

#[test]
fn bad_network_policies_are_reported_with_positions() {
    palisade_testkit::bad_input::run("tests/bad_input/netpol", first_problem);
}

/// ClusterNetworkPolicy (`v1alpha2`) cases: wrong API version, tier,
/// priority, action, port lists and peers.
#[test]
fn bad_cluster_network_policies_are_reported_with_positions() {
    palisade_testkit::bad_input::run("tests/bad_input/cnp", first_problem);
}

/// Otterize ClientIntents cases: versions, missing and malformed fields,
/// targets that are not compared, workloads the inventory does not hold.
#[test]
fn bad_client_intents_are_reported_with_positions() {
    palisade_testkit::bad_input::run("tests/bad_input/intents", |case| {
        let report = load_reader(&case.path_str(), case.bytes);
        if let Some(e) = report.errors.first() {
            return Some(e.to_string());
        }
        let mut issues = Issues::default();
        let resolver = Resolver::from_manifests(&report.objects, &mut issues);
        let declaration = Declaration::from_manifests(&report.objects, &mut issues);
        let _ = compare(&resolver, &declaration, &mut issues);
        issues.iter().next().map(ToString::to_string)
    });
}

/// Hubble export cases, judged against the shop example
/// (`tests/intent/shop`): lines that are not flow records, records without
/// a port, ends that are not in the inventory — each reported with its
/// line and column, never a panic.
#[test]
fn bad_flow_exports_are_reported_with_positions() {
    let shop = Path::new("tests/intent/shop");
    let cluster =
        palisade_core::manifest::load_paths(&[shop.join("inventory"), shop.join("policies")]);
    let mut issues = Issues::default();
    let resolver = Resolver::from_manifests(&cluster.objects, &mut issues);
    let judge = FlowJudge::new(&resolver, None, &mut issues);
    palisade_testkit::bad_input::run("tests/bad_input/flows", |case| {
        let text = String::from_utf8_lossy(case.bytes);
        let report = judge.judge_export(&case.path_str(), &text);
        report.problems.first().map(ToString::to_string)
    });
}

/// The first problem of a case: a load error, or the first issue of
/// building the resolver (whose matrix must not panic).
fn first_problem(case: &palisade_testkit::bad_input::Case<'_>) -> Option<String> {
    let report = load_reader(&case.path_str(), case.bytes);
    if let Some(e) = report.errors.first() {
        return Some(e.to_string());
    }
    let mut issues = Issues::default();
    let resolver = Resolver::from_manifests(&report.objects, &mut issues);
    let _ = resolver.matrix();
    issues.iter().next().map(ToString::to_string)
}

/// The cases Kubernetes and Cilium refuse for one field each are reported
/// on that field (not on something else in the file).
#[test]
fn refused_fields_are_named() {
    let dir = Path::new("tests/bad_input/netpol");
    for (file, field) in [
        ("25_except_outside_cidr.yaml", "ipBlock.except[0]"),
        ("26_exists_with_values.yaml", "matchExpressions[0].values"),
        ("27_cilium_port_out_of_range.yaml", "ports[0].port"),
        ("28_cilium_except_outside_cidr.yaml", "except[0]"),
    ] {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let report = load_reader(file, bytes.as_slice());
        assert!(report.errors.is_empty(), "{file}: {:?}", report.errors);
        let mut issues = Issues::default();
        let _ = Resolver::from_manifests(&report.objects, &mut issues);
        let fields: Vec<String> = issues.iter().map(|i| i.field().to_owned()).collect();
        assert!(
            fields.iter().any(|f| f.ends_with(field)),
            "{file}: no issue on `{field}`: {fields:?}"
        );
    }
}

/// Each refused field is reported at the line and column where the field
/// is written, not where its object starts.
#[test]
fn refused_fields_are_located_where_they_are_written() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_input/netpol");
    for (file, location) in [
        (
            "25_except_outside_cidr.yaml",
            "25_except_outside_cidr.yaml:15:22",
        ),
        (
            "26_exists_with_values.yaml",
            "26_exists_with_values.yaml:11:9",
        ),
        (
            "27_cilium_port_out_of_range.yaml",
            "27_cilium_port_out_of_range.yaml:12:15",
        ),
        (
            "28_cilium_except_outside_cidr.yaml",
            "28_cilium_except_outside_cidr.yaml:11:20",
        ),
    ] {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let report = load_reader(file, bytes.as_slice());
        let mut issues = Issues::default();
        let _ = Resolver::from_manifests(&report.objects, &mut issues);
        let found: Vec<String> = issues
            .iter()
            .map(|i| format!("{} {i}", i.location().unwrap()))
            .collect();
        assert!(
            found.iter().any(|f| f.starts_with(&format!("{location} "))),
            "{file}: no issue at {location}: {found:#?}"
        );
    }
}
