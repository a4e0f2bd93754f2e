//! The admission layer behind [`palisade_core::Engine`]: a [`PolicySet`]
//! with the cluster objects it evaluates against. Its input is one
//! [`AdmissionRequest`]; its audit reviews the cluster objects it was given
//! ([`AdmissionEngine::with_inventory`]) the way Gatekeeper's audit does
//! ([`crate::audit::audit`]), with each policy's coverage of the workloads.
//!
//! ```
//! use palisade_admission::builtin::BuiltinPack;
//! use palisade_admission::engine::AdmissionEngine;
//! use palisade_core::{Engine, Layer, manifest};
//!
//! let objects = manifest::load_str("pods.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers: [{name: web, image: nginx}]\n").objects;
//! let engine = AdmissionEngine::new(BuiltinPack::default().policy_set()).with_inventory(objects);
//! let audit = engine.audit();
//! assert!(audit.findings.iter().any(|f| f.policy == "resource-limits"));
//! assert!(audit.coverage.iter().all(|c| c.layer == Layer::Admission && c.of == 1));
//! ```

use palisade_core::{Audit, Coverage, Engine, Finding, Layer, Manifest, Verdict};

use crate::audit::audit;
use crate::review::{AdmissionRequest, AdmissionResponse, Context, Decision, PolicySet};

/// A policy set and the cluster context it evaluates against, as an
/// [`Engine`]: input an [`AdmissionRequest`], verdict an [`AdmissionVerdict`].
#[derive(Debug, Clone, Default)]
pub struct AdmissionEngine {
    /// The policies.
    pub policies: PolicySet,
    /// Cluster objects (namespaces, inventory) the policies may look at.
    pub context: Context,
    /// The objects [`Engine::audit`] reviews.
    inventory: Vec<Manifest>,
}

impl AdmissionEngine {
    /// An engine over `policies` with an empty context.
    pub fn new(policies: PolicySet) -> AdmissionEngine {
        AdmissionEngine {
            policies,
            context: Context::new(),
            inventory: Vec::new(),
        }
    }

    /// The same engine with `objects` added to its context and to what its
    /// audit reviews.
    pub fn with_inventory(mut self, objects: Vec<Manifest>) -> AdmissionEngine {
        for m in &objects {
            self.context.add_object(m.object.clone());
        }
        self.inventory.extend(objects);
        self
    }

    /// The objects the audit reviews.
    pub fn inventory(&self) -> &[Manifest] {
        &self.inventory
    }
}

/// What [`AdmissionEngine`] decided on one request.
#[derive(Debug, Clone)]
pub struct AdmissionVerdict {
    /// The decision (violations and evaluation errors).
    pub decision: Decision,
    /// The findings about the request's object.
    pub findings: Vec<Finding>,
}

impl AdmissionVerdict {
    /// The AdmissionResponse for this verdict.
    pub fn response(&self) -> AdmissionResponse {
        self.decision.response()
    }
}

impl Verdict for AdmissionVerdict {
    fn passed(&self) -> bool {
        self.decision.allowed()
    }

    fn findings(&self) -> Vec<Finding> {
        self.findings.clone()
    }
}

impl Engine for AdmissionEngine {
    type Input = AdmissionRequest;
    type Verdict = AdmissionVerdict;
    type Scratch = ();

    fn layer(&self) -> Layer {
        Layer::Admission
    }

    fn scratch(&self) {}

    fn evaluate(&self, _scratch: &mut (), input: &AdmissionRequest) -> AdmissionVerdict {
        let decision = self.policies.evaluate(input, &self.context);
        let findings = decision.findings(input);
        AdmissionVerdict { decision, findings }
    }

    /// Gatekeeper's audit of the inventory: every violation (with the
    /// object's file and line), every policy that could not be evaluated on
    /// an object (an error), and each policy's share of the workloads.
    fn audit(&self) -> Audit {
        let report = audit(&self.policies, &self.inventory);
        let mut findings = report.findings();
        findings.extend(
            report
                .errors
                .iter()
                .map(|(object, e)| e.to_finding(object.clone())),
        );
        let coverage = report
            .coverage
            .iter()
            .map(|c| {
                Coverage::new(
                    c.policy.clone(),
                    Layer::Admission,
                    c.workloads,
                    c.total_workloads,
                )
            })
            .collect();
        Audit { findings, coverage }
    }
}
