//! Audit: existing objects (manifests, or an inventory directory) against
//! every loaded policy, the way Gatekeeper's audit and Kyverno's background
//! scan review what is already in a cluster.
//!
//! Each object is reviewed as a plain manifest (no operation, no user),
//! with every loaded object as context (namespaces for selectors and Pod
//! Security labels, the rest as Gatekeeper's `data.inventory`). The report
//! holds the violations per policy and object, and each policy's coverage:
//! the share of workloads (Pods and pod controllers) it applies to.
//! Objects are evaluated on every core; the report keeps their order.
//!
//! ```
//! use palisade_admission::audit::audit;
//! use palisade_admission::builtin::BuiltinPack;
//! use palisade_core::manifest;
//!
//! let objects = manifest::load_str("pods.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers: [{name: web, image: nginx}]\n").objects;
//! let report = audit(&BuiltinPack::default().policy_set(), &objects);
//! assert_eq!(report.workloads, 1);
//! assert!(report.violations.iter().any(|v| v.policy == "resource-limits"));
//! let coverage = report.coverage_of("resource-limits").unwrap();
//! assert_eq!(coverage.share(), 1.0);
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};

use palisade_core::{EnforcementAction, Finding, Layer, Location, Manifest, ObjectRef, Subject};

use crate::pss::has_pod_spec;
use crate::request_cache::RequestCache;
use crate::review::{AdmissionRequest, Context, EvaluationError, PolicySet, Violation};

/// One violation found by the audit.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditViolation {
    /// The policy violated.
    pub policy: String,
    /// The object.
    pub object: ObjectRef,
    /// Where the object was read.
    pub location: Location,
    /// What is wrong.
    pub message: String,
    /// What the policy does with it at admission.
    pub action: EnforcementAction,
}

impl AuditViolation {
    /// The violation as a layer-independent finding.
    pub fn to_finding(&self) -> Finding {
        Finding::new(
            Layer::Admission,
            self.policy.clone(),
            self.action.severity(),
            self.message.clone(),
        )
        .with_subject(Subject::Object(self.object.clone()))
        .with_location(self.location.clone())
    }
}

/// How much of the inventory one policy looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyCoverage {
    /// The policy.
    pub policy: String,
    /// Objects (of any kind) the policy applies to.
    pub objects: usize,
    /// Workloads (Pods and pod controllers) the policy applies to.
    pub workloads: usize,
    /// Workloads in the inventory.
    pub total_workloads: usize,
    /// Objects with at least one violation of this policy.
    pub violating: usize,
}

impl PolicyCoverage {
    /// The share of workloads the policy applies to (0 when there are none).
    pub fn share(&self) -> f64 {
        if self.total_workloads == 0 {
            0.0
        } else {
            self.workloads as f64 / self.total_workloads as f64
        }
    }
}

/// What an audit found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditReport {
    /// Objects audited.
    pub objects: usize,
    /// Workloads among them (Pods and pod controllers).
    pub workloads: usize,
    /// Every violation, by object then policy.
    pub violations: Vec<AuditViolation>,
    /// Coverage of each policy, in policy order.
    pub coverage: Vec<PolicyCoverage>,
    /// Policies that failed on an object.
    pub errors: Vec<(ObjectRef, EvaluationError)>,
}

impl AuditReport {
    /// The coverage of the policy named `policy`.
    pub fn coverage_of(&self, policy: &str) -> Option<&PolicyCoverage> {
        self.coverage.iter().find(|c| c.policy == policy)
    }

    /// Every violation as a finding.
    pub fn findings(&self) -> Vec<Finding> {
        self.violations
            .iter()
            .map(AuditViolation::to_finding)
            .collect()
    }
}

/// Audits `objects` against every policy of `policies`. The objects are
/// evaluated on every core (each thread takes the next object not yet
/// taken); the report lists them in the order given, as one thread would.
pub fn audit(policies: &PolicySet, objects: &[Manifest]) -> AuditReport {
    let context = Context::with_objects(objects.iter().map(|m| m.object.clone()));
    let mut report = AuditReport {
        objects: objects.len(),
        ..AuditReport::default()
    };
    let mut coverage: Vec<PolicyCoverage> = policies
        .policies()
        .iter()
        .map(|p| PolicyCoverage {
            policy: p.name().to_owned(),
            objects: 0,
            workloads: 0,
            total_workloads: 0,
            violating: 0,
        })
        .collect();
    let outcomes = in_order_on_every_core(objects, |m| review_object(policies, &context, m));
    for (m, outcome) in objects.iter().zip(outcomes) {
        report.workloads += usize::from(outcome.is_workload);
        let object = m.object_ref();
        for (i, result) in outcome.results {
            let Some(cov) = coverage.get_mut(i) else {
                continue;
            };
            cov.objects += 1;
            cov.workloads += usize::from(outcome.is_workload);
            match result {
                Ok(violations) => {
                    cov.violating += usize::from(!violations.is_empty());
                    report
                        .violations
                        .extend(violations.into_iter().map(|v| AuditViolation {
                            policy: v.policy,
                            object: object.clone(),
                            location: m.source.location(),
                            message: v.message,
                            action: v.action,
                        }));
                }
                Err(e) => report.errors.push((object.clone(), e)),
            }
        }
    }
    for cov in &mut coverage {
        cov.total_workloads = report.workloads;
    }
    report.coverage = coverage;
    report
}

/// What the policies made of one object.
struct ObjectOutcome {
    is_workload: bool,
    /// For each policy that applies (by index in the set), its result.
    results: Vec<(usize, Result<Vec<Violation>, EvaluationError>)>,
}

/// Reviews one object against every policy that applies to it.
fn review_object(policies: &PolicySet, context: &Context, m: &Manifest) -> ObjectOutcome {
    let is_workload = m.kind().is_some_and(has_pod_spec);
    let mut results = Vec::new();
    if let Ok(request) = AdmissionRequest::from_object(m.object.clone()) {
        let cache = RequestCache::new();
        for (i, policy) in policies.policies().iter().enumerate() {
            if policy.applies_to(&request, context) {
                results.push((i, policy.validate_cached(&request, context, &cache)));
            }
        }
    }
    ObjectOutcome {
        is_workload,
        results,
    }
}

/// `items.iter().map(f)` on every core, the results in the order of
/// `items`: each thread takes the next item not yet taken, so slow items
/// do not hold up a thread's share.
fn in_order_on_every_core<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else {
                            return out;
                        };
                        out.push((i, f(item)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::BuiltinPack;
    use palisade_core::manifest;

    #[test]
    fn objects_are_reported_in_the_order_given_whatever_thread_ran_them() {
        let squares = in_order_on_every_core(&(0..2000u64).collect::<Vec<_>>(), |i| i * i);
        assert_eq!(squares, (0..2000u64).map(|i| i * i).collect::<Vec<_>>());

        // Every other pod lacks limits; the report lists them as one thread would.
        let text: String = (0..60)
            .map(|i| {
                let limits = if i % 2 == 0 { "" } else { ", resources: {limits: {cpu: 1m, memory: 1Mi}}" };
                format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}, namespace: shop, labels: {{owner: a, env: b, app: c}}}}\nspec:\n  containers: [{{name: c, image: ghcr.io/x/c:1{limits}}}]\n---\n")
            })
            .collect();
        let objects = manifest::load_str("pods.yaml", &text).objects;
        let policies = BuiltinPack::default().policy_set();
        let report = audit(&policies, &objects);
        let context = Context::with_objects(objects.iter().map(|m| m.object.clone()));
        let expected: Vec<(String, String, String)> = objects
            .iter()
            .flat_map(|m| {
                let request = AdmissionRequest::from_object(m.object.clone()).unwrap();
                let name = m.object_ref().name;
                policies
                    .evaluate(&request, &context)
                    .violations
                    .into_iter()
                    .map(move |v| (v.policy, name.clone(), v.message))
            })
            .collect();
        let found: Vec<(String, String, String)> = report
            .violations
            .iter()
            .map(|v| (v.policy.clone(), v.object.name.clone(), v.message.clone()))
            .collect();
        assert_eq!(found, expected);
        assert!(found.len() >= 30, "{found:?}");
    }

    #[test]
    fn coverage_counts_workloads_each_policy_sees() {
        let text = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n\
apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop, labels: {owner: a, env: b, app: c}}\n\
spec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: ghcr.io/x/web:1\n        resources: {limits: {cpu: 100m, memory: 64Mi}}\n---\n\
apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n";
        let objects = manifest::load_str("inv.yaml", text).objects;
        let report = audit(&BuiltinPack::default().policy_set(), &objects);
        assert_eq!((report.objects, report.workloads), (3, 1));
        let labels = report.coverage_of("required-labels").unwrap();
        assert_eq!(
            (labels.objects, labels.workloads, labels.violating),
            (3, 1, 2)
        );
        let limits = report.coverage_of("resource-limits").unwrap();
        assert_eq!((limits.objects, limits.violating), (1, 0));
        assert!(
            report
                .violations
                .iter()
                .all(|v| v.policy == "required-labels"),
            "{:?}",
            report.violations
        );
        let finding = report.findings().remove(0);
        assert_eq!(finding.location.unwrap().file, "inv.yaml");
    }
}
