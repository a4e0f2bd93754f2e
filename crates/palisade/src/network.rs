//! Traffic-time policy: NetworkPolicy, CiliumNetworkPolicy and
//! AdminNetworkPolicy over an inventory of workloads, compiled into a
//! [`Resolver`] that checks flows, builds the whole matrix, audits and
//! writes connlists.
//!
//! [`Resolver`] implements the [`Engine`](crate::Engine) trait with a
//! [`Flow`] as input.

pub use palisade_network::audit::audit;
pub use palisade_network::connlist::{ConnList, Connection, Format as ConnListFormat};
pub use palisade_network::inventory::{Endpoint, EndpointId, Namespace};
pub use palisade_network::ports::{NamedPort, Protocol};
pub use palisade_network::resolver::{
    Explained, Flow, FlowEnd, Identity, IdentityId, Named, Reason, RuleRef, Verdict as FlowVerdict,
};
pub use palisade_network::{Catalog, Inventory, Issues, LoadIssue, PolicySet, Resolver};

/// The typed model of network policies every format loads into: policies
/// of a tier and kind, with rules of an action, direction, peers and ports.
pub mod policy {
    pub use palisade_network::policy::{
        Action, CidrBlock, Direction, EndpointSelector, Entity, NamespaceScope, Peer, Policy,
        PolicyKind, Rule, Tier,
    };
}

/// Declared intent: Otterize `ClientIntents` (`v2beta1`, `v1alpha3`)
/// compared with what the policies allow — paths allowed but not declared
/// (too open) and declared but denied (too tight), each with the rules
/// behind it.
///
/// ```
/// use palisade::manifest::load_str;
/// use palisade::network::intent::{Declaration, compare};
/// use palisade::network::{Issues, Resolver};
///
/// let cluster = load_str("cluster.yaml", include_str!("../../../examples/data/cluster.yaml"));
/// let intents = load_str("intents.yaml", r#"
/// apiVersion: k8s.otterize.com/v2beta1
/// kind: ClientIntents
/// metadata: {name: api, namespace: shop}
/// spec:
///   workload: {name: api}
///   targets: [{kubernetes: {name: db.data}}]
/// "#);
/// let mut issues = Issues::default();
/// let resolver = Resolver::from_manifests(&cluster.objects, &mut issues);
/// let declaration = Declaration::from_manifests(&intents.objects, &mut issues);
/// let report = compare(&resolver, &declaration, &mut issues);
/// // The API may reach the database on 5432 only; the intent declares every port.
/// assert!(report.blocked.iter().any(|f| f.from == "shop/api" && f.to == "data/db"));
/// ```
pub mod intent {
    pub use palisade_network::intent::{
        Declaration, Flavor, GenerateError, Generated, Intent, IntentReport, PathFinding, Target,
        WorkloadRef, compare, generate,
    };
}

/// What a change of policies opens and closes: the connectivity before and
/// after compared per pair of ends and per port, each opened path with the
/// rules that allow it, each closed one with the rules that deny it.
///
/// ```
/// use palisade::manifest::load_str;
/// use palisade::network::diff::diff;
/// use palisade::network::{Issues, Resolver};
///
/// let cluster = include_str!("../../../examples/data/cluster.yaml");
/// let open = load_str("open.yaml", r#"
/// apiVersion: networking.k8s.io/v1
/// kind: NetworkPolicy
/// metadata: {name: web-to-db, namespace: data}
/// spec:
///   podSelector: {matchLabels: {app: db}}
///   ingress: [{from: [{namespaceSelector: {}, podSelector: {matchLabels: {app: web}}}]}]
/// "#);
/// let mut issues = Issues::default();
/// let before = Resolver::from_manifests(&load_str("cluster.yaml", cluster).objects, &mut issues);
/// let mut manifests = load_str("cluster.yaml", cluster).objects;
/// manifests.extend(open.objects);
/// let after = Resolver::from_manifests(&manifests, &mut issues);
/// let found = diff(&before, &after);
/// assert!(found.opened.iter().any(|f| f.from == "shop/web[Deployment]" && f.to == "data/db[StatefulSet]"));
/// assert!(found.closed.is_empty());
/// ```
pub mod diff {
    pub use palisade_network::diff::{Change, PolicyDiff, Workloads, diff};
}

/// Paths between two ends on some ports with the rules behind them, as
/// the intent comparison and the diff report them.
pub mod paths {
    pub use palisade_network::paths::PathFinding;
}

/// Observed flows: Hubble's JSON export (`hubble observe -o json`) judged
/// against the policies and, when given, the declaration — each record on
/// the side it was observed at, with the deciding rules and a finding
/// (`drift`, `declared-but-dropped`, `undeclared`). What the console's flow
/// ingestion uses.
///
/// ```
/// use palisade::manifest::load_str;
/// use palisade::network::flows::FlowJudge;
/// use palisade::network::{Issues, Resolver};
///
/// let cluster = load_str("cluster.yaml", include_str!("../../../examples/data/cluster.yaml"));
/// let mut issues = Issues::default();
/// let resolver = Resolver::from_manifests(&cluster.objects, &mut issues);
/// let judge = FlowJudge::new(&resolver, None, &mut issues);
/// // One record per line.
/// let export = concat!(
///     r#"{"flow": {"verdict": "FORWARDED", "traffic_direction": "INGRESS", "#,
///     r#""l4": {"TCP": {"destination_port": 5432}}, "#,
///     r#""source": {"namespace": "shop", "labels": ["k8s:app=web", "k8s:tier=frontend"]}, "#,
///     r#""destination": {"namespace": "data", "labels": ["k8s:app=db"]}}}"#,
/// );
/// let report = judge.judge_export("hubble.json", export);
/// // The database's policies deny the web tier: the cluster does not run them.
/// assert_eq!(report.summary.drift, 1);
/// ```
pub mod flows {
    pub use palisade_network::flows::{
        FlowFinding, FlowJudge, FlowProblem, FlowRecord, FlowReport, FlowSummary, JudgedFlow,
        ObservedDirection, ObservedEnd, Unjudged, parse_line,
    };
}

/// Generated clusters of a given size, for benchmarks and differential
/// tests. Not part of the stable API.
#[doc(hidden)]
pub mod synthetic {
    pub use palisade_network::synthetic::{Sizes, cluster};
}

/// The naive reference evaluator (every policy walked for each decision),
/// for the peers benchmark. Not part of the stable API.
#[doc(hidden)]
pub mod naive {
    pub use palisade_network::naive::{End, allowed};
}

use palisade_core::Manifest;

/// Compiles manifests (workloads, namespaces, policies) into a resolver,
/// with every field that was not understood (each naming its object, file
/// and line, and the field).
pub fn resolver(manifests: &[Manifest]) -> (Resolver, Issues) {
    let mut issues = Issues::default();
    let resolver = Resolver::from_manifests(manifests, &mut issues);
    (resolver, issues)
}
