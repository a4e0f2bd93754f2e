//! The model of a Kyverno `ClusterPolicy` / `Policy` with `validate.pattern`,
//! `validate.anyPattern` or `validate.cel` rules, as loaded.

use std::collections::BTreeMap;
use std::sync::Arc;

use palisade_core::Location;
use palisade_core::selector::Selector;
use serde_json::Value;

use super::condition::{Conditions, Template};
use crate::cel::ValidationSet;

/// What a failed rule does at admission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureAction {
    /// Deny the request.
    Enforce,
    /// Admit the request and report the violation.
    Audit,
}

impl FailureAction {
    /// `Enforce` or `Audit`, as written in policies.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureAction::Enforce => "Enforce",
            FailureAction::Audit => "Audit",
        }
    }
}

/// A loaded pattern policy.
#[derive(Debug, Clone, PartialEq)]
pub struct PatternPolicy {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace` for a namespaced `Policy` (which only applies
    /// to its own namespace); `None` for a `ClusterPolicy`.
    pub namespace: Option<String>,
    /// `spec.validationFailureAction` (default `Audit`).
    pub failure_action: FailureAction,
    /// `spec.background` (default `true`): whether audit applies it to
    /// existing objects.
    pub background: bool,
    /// `spec.validationFailureActionOverrides`: other actions in some namespaces.
    pub action_overrides: Vec<ActionOverride>,
    /// The rules, including the rules generated for Pod controllers
    /// (`autogen-<rule>`, `autogen-cronjob-<rule>`).
    pub rules: Vec<Rule>,
    /// Where the policy starts.
    pub location: Location,
}

/// One validate rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// The rule's name (`autogen-...` for generated rules).
    pub name: String,
    /// For a generated rule, the name of the rule it came from.
    pub autogen_of: Option<String>,
    /// Which requests the rule selects.
    pub match_: MatchBlock,
    /// Which requests it leaves out.
    pub exclude: Option<MatchBlock>,
    /// Conditions that must hold for the rule to apply.
    pub preconditions: Option<Conditions>,
    /// `validate.message`, as written.
    pub message: String,
    /// The message's `{{ }}` variables, when it has some in the supported
    /// JMESPath subset (others are left as written).
    pub message_template: Option<Template>,
    /// The pattern(s).
    pub patterns: Patterns,
    /// `validate.failureAction`, overriding the policy's action.
    pub failure_action: Option<FailureAction>,
    /// `validate.failureActionOverrides`: other actions in some namespaces.
    pub action_overrides: Vec<ActionOverride>,
    /// Where the rule starts.
    pub location: Location,
}

/// A failure action for the namespaces it names or selects.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionOverride {
    /// The action in those namespaces.
    pub action: FailureAction,
    /// Namespace names (wildcards allowed).
    pub namespaces: Vec<String>,
    /// A selector on namespace labels.
    pub namespace_selector: Option<LabelSelector>,
}

impl ActionOverride {
    /// `true` when the override covers `namespace` (with `labels`).
    pub fn covers(&self, namespace: &str, labels: Option<&Value>) -> bool {
        self.namespaces
            .iter()
            .any(|n| super::scalar::wildcard_match(n, namespace))
            || self
                .namespace_selector
                .as_ref()
                .is_some_and(|s| s.matches(labels))
    }
}

/// `validate.pattern`, `validate.anyPattern` or `validate.cel`.
#[derive(Debug, Clone, PartialEq)]
pub enum Patterns {
    /// One pattern that must match.
    One(Value),
    /// Several patterns, one of which must match.
    Any(Vec<Value>),
    /// CEL expressions (`validate.cel`, with the rule's `celPreconditions`).
    Cel(CelRule),
}

/// A `validate.cel` rule compiled by the [`crate::cel`] engine.
#[derive(Debug, Clone)]
pub struct CelRule {
    /// `celPreconditions` (as match conditions), `cel.variables`,
    /// `cel.expressions` and `cel.auditAnnotations`.
    pub expressions: Arc<ValidationSet>,
    /// For an autogen rule, where the Pod template is: `Some(false)` in
    /// `spec.template`, `Some(true)` in a CronJob's
    /// `spec.jobTemplate.spec.template`. The expressions then see the
    /// template's `metadata` and `spec` as the object's (Kyverno rewrites
    /// `object.spec` and `object.metadata` the same way).
    pub pod_template: Option<bool>,
    /// `validate.cel.paramKind` with `paramRef`: the parameter objects the
    /// expressions see as `params` (from the cluster objects given).
    pub params: Option<Arc<CelParams>>,
}

/// `validate.cel.paramKind` and `paramRef` of a rule.
#[derive(Debug, Clone, PartialEq)]
pub struct CelParams {
    /// `paramKind.apiVersion`.
    pub api_version: String,
    /// `paramKind.kind`.
    pub kind: String,
    /// `paramRef`.
    pub param_ref: crate::cel::admission_policy::ParamRef,
}

impl PartialEq for CelRule {
    fn eq(&self, other: &CelRule) -> bool {
        Arc::ptr_eq(&self.expressions, &other.expressions)
            && self.pod_template == other.pod_template
            && self.params == other.params
    }
}

/// `match` or `exclude`: `any` and `all` lists of filters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MatchBlock {
    /// At least one must select the request (when not empty).
    pub any: Vec<Filter>,
    /// All must select the request (when not empty).
    pub all: Vec<Filter>,
}

/// One resource filter: resources, subjects and roles, all of which must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// `resources`.
    pub resources: Option<ResourceDescription>,
    /// `subjects`: users, groups, service accounts.
    pub subjects: Vec<SubjectFilter>,
    /// `roles` (`namespace:name`).
    pub roles: Vec<String>,
    /// `clusterRoles`.
    pub cluster_roles: Vec<String>,
}

/// A subject in a filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectFilter {
    /// `User`, `Group` or `ServiceAccount`.
    pub kind: String,
    /// The name (wildcards allowed).
    pub name: String,
    /// The namespace, for service accounts.
    pub namespace: Option<String>,
}

/// `resources` in a filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResourceDescription {
    /// Kinds: `Kind`, `version/Kind`, `group/version/Kind`, wildcards.
    pub kinds: Vec<String>,
    /// Names (wildcards allowed); `name` is folded in.
    pub names: Vec<String>,
    /// Namespaces (wildcards allowed).
    pub namespaces: Vec<String>,
    /// Annotations that must be present with matching values.
    pub annotations: BTreeMap<String, String>,
    /// Label selector on the object.
    pub selector: Option<LabelSelector>,
    /// Label selector on the object's namespace.
    pub namespace_selector: Option<LabelSelector>,
    /// Operations (`CREATE`, `UPDATE`, `DELETE`, `CONNECT`).
    pub operations: Vec<String>,
}

/// A Kubernetes label selector, as Kyverno matches it: `matchLabels`
/// values may hold wildcards (`*`, `?`); requirements compare exactly.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector(pub Selector);

impl LabelSelector {
    /// `true` when `labels` (a JSON object, or null) satisfy the selector.
    pub fn matches(&self, labels: Option<&Value>) -> bool {
        self.0.matches_with(&labels, super::scalar::wildcard_match)
    }
}
