//! Mutation: Kyverno `ClusterPolicy`/`Policy` `mutate` rules, run before
//! validation as the API server runs mutating admission before validating
//! admission.
//!
//! A mutation is the ordered list of RFC 6902 JSON patches it made, each
//! with the policy and rule that made it ([`AppliedPatch`]). Rules:
//! `patchStrategicMerge` with Kyverno's anchors (`+(key)`, `(key)`,
//! `<(key)`, `=(key)`, `X(key)`; see [`merge`]), `patchesJson6902`,
//! `foreach` (a list expression, per-element patches, nested `foreach`,
//! per-element `preconditions`, `order`), rule `preconditions`, `context`
//! variables (`variable` entries; entries that read the cluster take their
//! value from the caller, see [`Values`]), and `{{ }}` variables in
//! JMESPath with Kyverno's functions as the corpus needs them
//! (`request.*`, `element`, `elementIndex`, `elementN`, `images`, ...),
//! and the rules Kyverno generates for Pod controllers. Policies load
//! unchanged; what is not valid (bad JMESPath, bad patches, anchors on
//! lists) is refused at load with file, line and column.
//!
//! ```
//! use palisade_admission::mutate;
//! use palisade_admission::pattern::PatternRequest;
//! use serde_json::json;
//!
//! let load = mutate::load_str("policy.yaml", r#"
//! apiVersion: kyverno.io/v1
//! kind: ClusterPolicy
//! metadata: {name: add-team}
//! spec:
//!   rules:
//!   - name: add-team-label
//!     match: {any: [{resources: {kinds: [Pod]}}]}
//!     mutate:
//!       patchStrategicMerge:
//!         metadata:
//!           labels:
//!             +(team): unknown
//! "#);
//! assert!(load.errors.is_empty());
//! let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}});
//! let out = mutate::mutate(&load.policies, &PatternRequest::create(&pod));
//! assert_eq!(out.object["metadata"]["labels"]["team"], "unknown");
//! assert_eq!(out.patches[0].path, "/metadata/labels");
//! assert_eq!(out.patches[0].policy, "add-team");
//! ```

mod admission;
pub mod fix;
pub mod gatekeeper;
mod jmes;
pub(crate) mod kyverno;
mod load;
pub mod location;
pub mod merge;
pub mod remediation;
pub mod template;

use palisade_core::Location;
use serde_json::{Value, json};

use std::borrow::Cow;
use std::collections::BTreeMap;

use jmespath::{Rcvar, Variable};

use crate::pattern::eval::{context, metadata_str};
use crate::pattern::{MatchBlock, Operator, PatternRequest, block_matches};

use jmes::{Missing, to_var};
use template::{Query, Scope, Template};

pub use admission::mutate_request;
pub use load::{MutateLoad, load_file, load_paths, load_policy, load_str};

/// A policy's `mutate` rules, as loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct MutatePolicy {
    /// `metadata.name`.
    pub name: String,
    /// For a namespaced `Policy`, its namespace (it only mutates there).
    pub namespace: Option<String>,
    /// The mutate rules, with those generated for Pod controllers.
    pub rules: Vec<MutateRule>,
    /// Where the policy starts.
    pub location: Location,
}

/// One `mutate` rule.
#[derive(Debug, Clone, PartialEq)]
pub struct MutateRule {
    /// The rule's name (`autogen-...` for generated rules).
    pub name: String,
    /// For a generated rule, the rule it came from.
    pub autogen_of: Option<String>,
    /// Which requests the rule selects.
    pub match_: MatchBlock,
    /// Which requests it leaves out.
    pub exclude: Option<MatchBlock>,
    /// `context` entries, evaluated in order before the preconditions.
    pub context: Vec<ContextEntry>,
    /// Conditions that must hold for the rule to apply.
    pub preconditions: Option<Conditions>,
    /// What the rule changes.
    pub mutation: Mutation,
    /// Where the rule starts.
    pub location: Location,
}

/// What a rule (or a `foreach` entry) changes.
#[derive(Debug, Clone, PartialEq)]
pub enum Mutation {
    /// `patchStrategicMerge`, with anchors and variables.
    StrategicMerge(Template),
    /// `patchesJson6902`: the operations, with variables.
    Json6902(Vec<Template>),
    /// `foreach`: entries applied in order.
    Foreach(Vec<Foreach>),
    /// A Gatekeeper mutator (`Assign`, `AssignMetadata`, `ModifySet`,
    /// `AssignImage`): it selects objects with its own `applyTo` and
    /// `match`, so the rule's `match` block is empty.
    Gatekeeper(Box<gatekeeper::Mutator>),
}

/// One `foreach` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Foreach {
    /// The list expression (`request.object.spec.containers`).
    pub list: Query,
    /// `order: Descending` walks the list from its end (so that removals
    /// by index stay valid).
    pub descending: bool,
    /// `context` entries per element.
    pub context: Vec<ContextEntry>,
    /// Conditions per element.
    pub preconditions: Option<Conditions>,
    /// What each element changes (`element`, `elementIndex` bound).
    pub mutation: Box<Mutation>,
}

/// One `context` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct ContextEntry {
    /// The variable's name.
    pub name: String,
    /// Where its value comes from.
    pub source: ContextSource,
}

/// Where a `context` variable's value comes from.
#[derive(Debug, Clone, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "a rule holds a handful of context entries, loaded once"
)]
pub enum ContextSource {
    /// `variable`: a value (with variables), a JMESPath over the context,
    /// or both (the path applied to the value), with a default for null.
    Variable {
        /// `value`.
        value: Option<Template>,
        /// `jmesPath`.
        jmes_path: Option<Query>,
        /// `default`.
        default: Option<Template>,
    },
    /// `configMap`, `apiCall`, `imageRegistry`, `globalReference`: read from
    /// a cluster or a registry, so only a value the caller supplies (a test's
    /// values file) is used; without one the rule errors.
    External(String),
}

/// Conditions (`preconditions`): `any` and `all` lists, or a plain list
/// (all).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Conditions {
    /// At least one must hold (when not empty).
    pub any: Vec<Condition>,
    /// All must hold.
    pub all: Vec<Condition>,
}

/// One condition, its key and value with variables.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// `key`.
    pub key: Template,
    /// `operator`.
    pub operator: Operator,
    /// `value`.
    pub value: Template,
}

impl Conditions {
    fn hold(&self, scope: &Scope) -> Result<bool, String> {
        use crate::pattern::Template as Literal;
        let one = |c: &Condition| -> Result<bool, String> {
            let key = c.key.eval(scope, Missing::Null)?;
            let value = c.value.eval(scope, Missing::Null)?;
            let resolved = crate::pattern::Condition {
                key: Literal::Literal(key),
                operator: c.operator,
                value: Literal::Literal(value),
            };
            Ok(resolved.holds(&Value::Null))
        };
        for c in &self.all {
            if !one(c)? {
                return Ok(false);
            }
        }
        if self.any.is_empty() {
            return Ok(true);
        }
        for c in &self.any {
            if one(c)? {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// Values the caller supplies for variables, by dotted name
/// (`request.operation`, `dictionary.data.x`): for every rule, and per
/// (policy, rule). A `kyverno test` values file gives them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Values {
    /// For every rule.
    pub global: BTreeMap<String, Value>,
    /// Per (policy, rule).
    pub rules: BTreeMap<(String, String), BTreeMap<String, Value>>,
}

impl Values {
    fn for_rule<'a>(
        &'a self,
        policy: &str,
        rule: &str,
    ) -> impl Iterator<Item = (&'a String, &'a Value)> + 'a {
        let own = if self.rules.is_empty() {
            None
        } else {
            self.rules.get(&(policy.to_owned(), rule.to_owned()))
        };
        self.global.iter().chain(own.into_iter().flatten())
    }
}

/// Adds the `context` entries to the scope (values supplied by the caller
/// win).
fn add_context(entries: &[ContextEntry], scope: &mut Scope) -> Result<(), String> {
    for entry in entries {
        if scope.has(&entry.name) {
            continue;
        }
        let value = match &entry.source {
            ContextSource::Variable {
                value,
                jmes_path,
                default,
            } => {
                let base = match value {
                    Some(v) => Some(to_var(v.eval(scope, Missing::Null)?)),
                    None => None,
                };
                let mut out = match (jmes_path, base) {
                    (Some(path), Some(base)) => path.search(scope, &base)?,
                    (Some(path), None) => path.search(scope, scope.root())?,
                    (None, Some(base)) => base,
                    (None, None) => Rcvar::new(Variable::Null),
                };
                if out.is_null()
                    && let Some(d) = default
                {
                    out = to_var(d.eval(scope, Missing::Null)?);
                }
                out
            }
            ContextSource::External(kind) => {
                return Err(format!(
                    "`context` entry `{}` reads `{kind}` from the cluster; supply its value",
                    entry.name
                ));
            }
        };
        scope.set(&entry.name, value);
    }
    Ok(())
}

/// One RFC 6902 operation a mutation made, with who made it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AppliedPatch {
    /// `add`, `remove`, `replace`, `move`, `copy` or `test`.
    pub op: String,
    /// The JSON pointer it changes.
    pub path: String,
    /// The value it sets (`add`, `replace`, `test`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// The source pointer (`move`, `copy`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The policy.
    pub policy: String,
    /// The rule.
    pub rule: String,
}

/// What one rule did.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleMutation {
    /// The policy.
    pub policy: String,
    /// The rule (`autogen-...` for generated rules).
    pub rule: String,
    /// For a generated rule, the rule it came from.
    pub autogen_of: Option<String>,
    /// How it went.
    pub status: MutateStatus,
    /// Why, for `Skip` and `Error`.
    pub message: String,
    /// Where the rule is written.
    pub location: Location,
}

impl std::fmt::Display for RuleMutation {
    /// `file:line:column: policy `p` rule `r`: status: message`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: policy `{}` rule `{}`: {}",
            self.location,
            self.policy,
            self.rule,
            self.status.as_str()
        )?;
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        Ok(())
    }
}

/// How one rule went, as `kyverno test` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MutateStatus {
    /// The rule applied (whether or not it changed something).
    Pass,
    /// Its preconditions or a global anchor left it out.
    Skip,
    /// A patch could not be applied.
    Error,
}

impl MutateStatus {
    /// `pass`, `skip` or `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            MutateStatus::Pass => "pass",
            MutateStatus::Skip => "skip",
            MutateStatus::Error => "error",
        }
    }
}

/// The result of mutating one object.
#[derive(Debug, Clone, PartialEq)]
pub struct MutationOutcome {
    /// The object after every rule.
    pub object: Value,
    /// The operations, in the order they were made.
    pub patches: Vec<AppliedPatch>,
    /// Every rule that selected the object, in order.
    pub rules: Vec<RuleMutation>,
}

/// Applies every policy's rules in order to the request's object.
pub fn mutate(policies: &[MutatePolicy], req: &PatternRequest<'_>) -> MutationOutcome {
    mutate_with(policies, req, &Values::default())
}

/// [`mutate`] with values for variables the policies cannot compute
/// themselves (cluster lookups, a test's values file).
pub fn mutate_with(
    policies: &[MutatePolicy],
    req: &PatternRequest<'_>,
    values: &Values,
) -> MutationOutcome {
    let mut out = MutationOutcome {
        object: req.object.clone(),
        patches: Vec::new(),
        rules: Vec::new(),
    };
    let mut base = None;
    for policy in policies {
        policy.apply_scoped(req, values, &mut out, &mut base);
    }
    out
}

/// The rule's variables for the request as it is now (the object as the
/// rules before left it).
fn base_scope(req: &PatternRequest<'_>) -> Scope {
    let mut without_object = *req;
    without_object.object = &Value::Null;
    let mut ctx = context(&without_object);
    // `request.namespace`, `request.name` and `images` come from the object.
    if let Some(r) = ctx.get_mut("request") {
        r["namespace"] = json!(metadata_str(req.object, "namespace"));
        r["name"] = json!(metadata_str(req.object, "name"));
    }
    if let Some(m) = ctx.as_object_mut() {
        m.insert(
            "images".to_owned(),
            crate::pattern::eval::images(req.object),
        );
    }
    let mut scope = Scope::new(&ctx);
    scope.set("request.object", template::to_var_ref(req.object));
    scope
}

/// Brings the variables that come from the object up to its new state:
/// `request.object` (converting only what changed), `request.name`,
/// `request.namespace` and `images`.
fn refresh_scope(scope: &mut Scope, old: &Value, new: &Value) {
    scope.replace_object(old, new);
    for field in ["name", "namespace"] {
        if metadata_str(old, field) != metadata_str(new, field) {
            scope.set(
                &format!("request.{field}"),
                to_var(json!(metadata_str(new, field))),
            );
        }
    }
    let images = crate::pattern::eval::images(new);
    if images != crate::pattern::eval::images(old) {
        scope.set("images", to_var(images));
    }
}

/// What a mutation did to the object.
enum Applied {
    /// Nothing changed.
    Same,
    /// The object after it.
    Changed(Value),
    /// A global anchor did not match: the rule does not apply.
    Global,
    /// The rule did not apply, for this reason.
    Skipped(&'static str),
}

impl MutatePolicy {
    fn selects(&self, rule: &MutateRule, req: &PatternRequest<'_>) -> bool {
        if let Some(ns) = &self.namespace
            && metadata_str(req.object, "namespace") != ns
        {
            return false;
        }
        if let Mutation::Gatekeeper(m) = &rule.mutation {
            return m.selects(req);
        }
        block_matches(&rule.match_, req)
            && !rule.exclude.as_ref().is_some_and(|e| block_matches(e, req))
    }

    /// Applies this policy's rules to `out.object`, appending what they did.
    pub fn apply(&self, req: &PatternRequest<'_>, values: &Values, out: &mut MutationOutcome) {
        self.apply_scoped(req, values, out, &mut None);
    }

    /// [`MutatePolicy::apply`] with the variables of the object as it is
    /// (`None` once a rule changed it), shared across rules and policies.
    fn apply_scoped(
        &self,
        req: &PatternRequest<'_>,
        values: &Values,
        out: &mut MutationOutcome,
        base: &mut Option<Scope>,
    ) {
        for rule in &self.rules {
            // Each rule sees the object as the rules before it left it.
            let mut request = *req;
            request.object = &out.object;
            if !self.selects(rule, &request) {
                continue;
            }
            if let Mutation::Gatekeeper(m) = &rule.mutation {
                let applied = m.apply(&out.object).map(|after| match after {
                    Some(after) => Applied::Changed(after),
                    None => Applied::Same,
                });
                self.record(rule, applied, out, base);
                continue;
            }
            let mut scope = base.get_or_insert_with(|| base_scope(&request)).clone();
            let rule_name = rule.autogen_of.as_deref().unwrap_or(&rule.name);
            for (name, value) in values.for_rule(&self.name, rule_name) {
                scope.set(name, template::to_var_ref(value));
            }
            if let Err(e) = add_context(&rule.context, &mut scope) {
                self.record(rule, Err(e), out, base);
                continue;
            }
            let applied = match rule.preconditions.as_ref().map(|p| p.hold(&scope)) {
                Some(Ok(false)) => Ok(Applied::Skipped("preconditions not met")),
                Some(Err(e)) => Err(e),
                Some(Ok(true)) | None => apply_mutation(&rule.mutation, &out.object, &scope, 0),
            };
            self.record(rule, applied, out, base);
        }
    }

    /// Records what a rule did, and takes its change.
    fn record(
        &self,
        rule: &MutateRule,
        applied: Result<Applied, String>,
        out: &mut MutationOutcome,
        base: &mut Option<Scope>,
    ) {
        let (status, message) = match applied {
            Ok(Applied::Same) => (MutateStatus::Skip, "no patches applied".to_owned()),
            Ok(Applied::Skipped(why)) => (MutateStatus::Skip, why.to_owned()),
            Ok(Applied::Changed(after)) => {
                for op in json_patch::diff(&out.object, &after).iter() {
                    out.patches.push(applied_patch(op, &self.name, &rule.name));
                }
                if let Some(scope) = base {
                    refresh_scope(scope, &out.object, &after);
                }
                out.object = after;
                (MutateStatus::Pass, String::new())
            }
            Ok(Applied::Global) => (
                MutateStatus::Skip,
                "a global anchor did not match".to_owned(),
            ),
            Err(e) => (MutateStatus::Error, e),
        };
        out.rules.push(RuleMutation {
            policy: self.name.clone(),
            rule: rule.name.clone(),
            autogen_of: rule.autogen_of.clone(),
            status,
            message,
            location: rule.location.clone(),
        });
    }
}

fn applied_patch(op: &json_patch::PatchOperation, policy: &str, rule: &str) -> AppliedPatch {
    use json_patch::PatchOperation as P;
    let (name, path, value, from) = match op {
        P::Add(o) => ("add", o.path.to_string(), Some(o.value.clone()), None),
        P::Remove(o) => ("remove", o.path.to_string(), None, None),
        P::Replace(o) => ("replace", o.path.to_string(), Some(o.value.clone()), None),
        P::Move(o) => ("move", o.path.to_string(), None, Some(o.from.to_string())),
        P::Copy(o) => ("copy", o.path.to_string(), None, Some(o.from.to_string())),
        P::Test(o) => ("test", o.path.to_string(), Some(o.value.clone()), None),
    };
    AppliedPatch {
        op: name.to_owned(),
        path,
        value,
        from,
        policy: policy.to_owned(),
        rule: rule.to_owned(),
    }
}

/// Creates the missing parents of an `add` path, as Kyverno applies
/// patches (objects, or lists where the next step is an index or `-`).
fn ensure_parents(doc: &mut Value, path: &str) {
    let steps: Vec<String> = path
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect();
    let Some((_, parents)) = steps.split_last() else {
        return;
    };
    let mut at = doc;
    for (i, step) in parents.iter().enumerate() {
        let next_is_index = steps
            .get(i + 1)
            .is_some_and(|n| n == "-" || n.parse::<usize>().is_ok());
        let fresh = || {
            if next_is_index {
                Value::Array(Vec::new())
            } else {
                Value::Object(serde_json::Map::new())
            }
        };
        at = match at {
            Value::Object(map) => {
                let slot = map.entry(step.clone()).or_insert_with(fresh);
                if slot.is_null() {
                    *slot = fresh();
                }
                slot
            }
            Value::Array(items) => {
                match step.parse::<usize>().ok().and_then(|n| items.get_mut(n)) {
                    Some(item) => item,
                    None => return,
                }
            }
            _ => return,
        };
    }
}

/// The deepest `foreach` nesting followed.
const MAX_FOREACH_DEPTH: usize = 8;

/// What the mutation does to `object`.
fn apply_mutation(
    m: &Mutation,
    object: &Value,
    scope: &Scope,
    depth: usize,
) -> Result<Applied, String> {
    let changed = |after: Value| {
        if after == *object {
            Applied::Same
        } else {
            Applied::Changed(after)
        }
    };
    match m {
        Mutation::Gatekeeper(mutator) => Ok(match mutator.apply(object)? {
            Some(after) => Applied::Changed(after),
            None => Applied::Same,
        }),
        Mutation::StrategicMerge(patch) => {
            let patch = patch.eval(scope, Missing::Error)?;
            match merge::merge(Some(object), &patch) {
                Ok(v) => Ok(changed(v)),
                Err(merge::Skip::Local) => Ok(Applied::Same),
                Err(merge::Skip::Global) => Ok(Applied::Global),
            }
        }
        Mutation::Json6902(ops) => {
            let ops = ops
                .iter()
                .map(|op| op.eval(scope, Missing::Error))
                .collect::<Result<Vec<_>, _>>()?;
            let patch: json_patch::Patch = serde_json::from_value(Value::Array(ops))
                .map_err(|e| format!("invalid `patchesJson6902` after variables: {e}"))?;
            let mut doc = object.clone();
            for op in patch.iter() {
                if let json_patch::PatchOperation::Add(add) = op {
                    ensure_parents(&mut doc, add.path.to_string().as_str());
                }
                json_patch::patch(&mut doc, std::slice::from_ref(op)).map_err(|e| e.to_string())?;
            }
            Ok(changed(doc))
        }
        Mutation::Foreach(entries) => {
            if depth >= MAX_FOREACH_DEPTH {
                return Err(format!("`foreach` nested deeper than {MAX_FOREACH_DEPTH}"));
            }
            let mut doc = Cow::Borrowed(object);
            let mut scope = scope.clone();
            let (element_n, index_n) = (format!("element{depth}"), format!("elementIndex{depth}"));
            for entry in entries {
                // The list is read from the object as it was before the
                // entry (Kyverno evaluates it once).
                let list = entry.list.search(&scope, scope.root())?;
                let elements: Vec<Rcvar> = match &*list {
                    Variable::Array(items) => items.clone(),
                    Variable::Null => Vec::new(),
                    _ => vec![list.clone()],
                };
                let mut order: Vec<usize> = (0..elements.len()).collect();
                if entry.descending {
                    order.reverse();
                }
                for index in order {
                    let Some(element) = elements.get(index) else {
                        continue;
                    };
                    let mut el_scope = scope.clone();
                    let index_var = to_var(json!(index));
                    el_scope.set("element", element.clone());
                    el_scope.set("elementIndex", index_var.clone());
                    el_scope.set(&element_n, element.clone());
                    el_scope.set(&index_n, index_var);
                    add_context(&entry.context, &mut el_scope)?;
                    if let Some(pre) = &entry.preconditions
                        && !pre.hold(&el_scope)?
                    {
                        continue;
                    }
                    match apply_mutation(&entry.mutation, &doc, &el_scope, depth + 1) {
                        Ok(Applied::Changed(next)) => {
                            scope.replace_object(&doc, &next);
                            doc = Cow::Owned(next);
                        }
                        Ok(Applied::Same) => {}
                        Ok(Applied::Global) => return Ok(Applied::Global),
                        Ok(Applied::Skipped(_)) => {}
                        // Kyverno skips an element whose variables do not resolve.
                        Err(e) if e.starts_with(jmes::UNRESOLVED) => {}
                        Err(e) => return Err(e),
                    }
                }
            }
            Ok(match doc {
                Cow::Owned(v) => changed(v),
                Cow::Borrowed(_) => Applied::Same,
            })
        }
    }
}
