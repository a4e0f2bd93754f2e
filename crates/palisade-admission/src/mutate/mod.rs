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
mod jmes;
pub(crate) mod kyverno;
mod load;
pub mod merge;
pub mod remediation;

use palisade_core::Location;
use serde_json::{Value, json};

use std::collections::BTreeMap;

use crate::pattern::eval::{context, metadata_str};
use crate::pattern::{MatchBlock, Operator, PatternRequest, Template, block_matches};

use jmes::Missing;

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
    /// `patchStrategicMerge`, with anchors and variables as written.
    StrategicMerge(Value),
    /// `patchesJson6902`: the operations, variables as written.
    Json6902(Vec<Value>),
    /// `foreach`: entries applied in order.
    Foreach(Vec<Foreach>),
}

/// One `foreach` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Foreach {
    /// The list expression (`request.object.spec.containers`).
    pub list: String,
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
pub enum ContextSource {
    /// `variable`: a value (with variables), a JMESPath over the context,
    /// or both (the path applied to the value), with a default for null.
    Variable {
        /// `value`.
        value: Option<Value>,
        /// `jmesPath`.
        jmes_path: Option<String>,
        /// `default`.
        default: Option<Value>,
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

/// One condition, its key and value with variables as written.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// `key`.
    pub key: Value,
    /// `operator`.
    pub operator: Operator,
    /// `value`.
    pub value: Value,
}

impl Conditions {
    fn hold(&self, ctx: &Value) -> Result<bool, String> {
        let one = |c: &Condition| -> Result<bool, String> {
            let key = jmes::substitute(&c.key, ctx, Missing::Null)?;
            let value = jmes::substitute(&c.value, ctx, Missing::Null)?;
            let resolved = crate::pattern::Condition {
                key: Template::Literal(key),
                operator: c.operator,
                value: Template::Literal(value),
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
        let own = self.rules.get(&(policy.to_owned(), rule.to_owned()));
        self.global.iter().chain(own.into_iter().flatten())
    }
}

/// Sets `value` at the dotted `name` in the context object.
fn set_dotted(ctx: &mut Value, name: &str, value: Value) {
    let mut at = ctx;
    let mut parts = name.split('.').peekable();
    while let Some(part) = parts.next() {
        if !at.is_object() {
            *at = Value::Object(serde_json::Map::new());
        }
        let Some(map) = at.as_object_mut() else {
            return;
        };
        if parts.peek().is_none() {
            map.insert(part.to_owned(), value);
            return;
        }
        at = map.entry(part.to_owned()).or_insert(Value::Null);
    }
}

fn has_dotted(ctx: &Value, name: &str) -> bool {
    let mut at = ctx;
    for part in name.split('.') {
        match at.get(part) {
            Some(v) => at = v,
            None => return false,
        }
    }
    true
}

/// Adds the `context` entries to `ctx` (values supplied by the caller win).
fn add_context(entries: &[ContextEntry], ctx: &mut Value) -> Result<(), String> {
    for entry in entries {
        if has_dotted(ctx, &entry.name) {
            continue;
        }
        let value = match &entry.source {
            ContextSource::Variable {
                value,
                jmes_path,
                default,
            } => {
                let base = match value {
                    Some(v) => Some(jmes::substitute(v, ctx, Missing::Null)?),
                    None => None,
                };
                let mut out = match (jmes_path, base) {
                    (Some(path), Some(base)) => {
                        let path = jmes::substitute_str(path, ctx, Missing::Null)?;
                        jmes::search(path.as_str().unwrap_or_default(), &base)?
                    }
                    (Some(path), None) => {
                        let path = jmes::substitute_str(path, ctx, Missing::Null)?;
                        jmes::search(path.as_str().unwrap_or_default(), ctx)?
                    }
                    (None, Some(base)) => base,
                    (None, None) => Value::Null,
                };
                if out.is_null()
                    && let Some(d) = default
                {
                    out = jmes::substitute(d, ctx, Missing::Null)?;
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
        set_dotted(ctx, &entry.name, value);
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
    for policy in policies {
        policy.apply(req, values, &mut out);
    }
    out
}

impl MutatePolicy {
    fn selects(&self, rule: &MutateRule, req: &PatternRequest<'_>) -> bool {
        if let Some(ns) = &self.namespace
            && metadata_str(req.object, "namespace") != ns
        {
            return false;
        }
        block_matches(&rule.match_, req)
            && !rule.exclude.as_ref().is_some_and(|e| block_matches(e, req))
    }

    /// Applies this policy's rules to `out.object`, appending what they did.
    pub fn apply(&self, req: &PatternRequest<'_>, values: &Values, out: &mut MutationOutcome) {
        for rule in &self.rules {
            // Each rule sees the object as the rules before it left it.
            let current = out.object.clone();
            let mut request = *req;
            request.object = &current;
            if !self.selects(rule, &request) {
                continue;
            }
            let mut ctx = context(&request);
            let rule_name = rule.autogen_of.as_deref().unwrap_or(&rule.name);
            for (name, value) in values.for_rule(&self.name, rule_name) {
                set_dotted(&mut ctx, name, value.clone());
            }
            let result = |status, message: String| RuleMutation {
                policy: self.name.clone(),
                rule: rule.name.clone(),
                autogen_of: rule.autogen_of.clone(),
                status,
                message,
                location: rule.location.clone(),
            };
            if let Err(e) = add_context(&rule.context, &mut ctx) {
                out.rules.push(result(MutateStatus::Error, e));
                continue;
            }
            match rule.preconditions.as_ref().map(|p| p.hold(&ctx)) {
                Some(Ok(false)) => {
                    out.rules.push(result(
                        MutateStatus::Skip,
                        "preconditions not met".to_owned(),
                    ));
                    continue;
                }
                Some(Err(e)) => {
                    out.rules.push(result(MutateStatus::Error, e));
                    continue;
                }
                Some(Ok(true)) | None => {}
            }
            match apply_mutation(&rule.mutation, &current, &ctx, 0) {
                Ok(Some(after)) if after == current => out
                    .rules
                    .push(result(MutateStatus::Skip, "no patches applied".to_owned())),
                Ok(Some(after)) => {
                    for op in json_patch::diff(&current, &after).iter() {
                        out.patches.push(applied(op, &self.name, &rule.name));
                    }
                    out.object = after;
                    out.rules.push(result(MutateStatus::Pass, String::new()));
                }
                Ok(None) => out.rules.push(result(
                    MutateStatus::Skip,
                    "a global anchor did not match".to_owned(),
                )),
                Err(e) => out.rules.push(result(MutateStatus::Error, e)),
            }
        }
    }
}

fn applied(op: &json_patch::PatchOperation, policy: &str, rule: &str) -> AppliedPatch {
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

/// The object after the mutation; `None` when a global anchor skipped it.
fn apply_mutation(
    m: &Mutation,
    object: &Value,
    ctx: &Value,
    depth: usize,
) -> Result<Option<Value>, String> {
    match m {
        Mutation::StrategicMerge(patch) => {
            let patch = jmes::substitute(patch, ctx, Missing::Error)?;
            match merge::merge(Some(object), &patch) {
                Ok(v) => Ok(Some(v)),
                Err(merge::Skip::Local) => Ok(Some(object.clone())),
                Err(merge::Skip::Global) => Ok(None),
            }
        }
        Mutation::Json6902(ops) => {
            let ops = jmes::substitute(&Value::Array(ops.clone()), ctx, Missing::Error)?;
            let patch: json_patch::Patch = serde_json::from_value(ops)
                .map_err(|e| format!("invalid `patchesJson6902` after variables: {e}"))?;
            let mut doc = object.clone();
            for op in patch.iter() {
                if let json_patch::PatchOperation::Add(add) = op {
                    ensure_parents(&mut doc, add.path.to_string().as_str());
                }
                json_patch::patch(&mut doc, std::slice::from_ref(op)).map_err(|e| e.to_string())?;
            }
            Ok(Some(doc))
        }
        Mutation::Foreach(entries) => {
            if depth >= MAX_FOREACH_DEPTH {
                return Err(format!("`foreach` nested deeper than {MAX_FOREACH_DEPTH}"));
            }
            let mut doc = object.clone();
            for entry in entries {
                // The list is read from the object as it was before the
                // entry (Kyverno evaluates it once).
                let mut ctx_now = ctx.clone();
                if let Some(r) = ctx_now.get_mut("request") {
                    r["object"] = doc.clone();
                }
                let list = jmes::substitute_str(entry.list.trim(), &ctx_now, Missing::Null)?;
                let list = match list {
                    Value::String(expr) => jmes::search(&expr, &ctx_now)?,
                    other => other,
                };
                let elements = match list {
                    Value::Array(items) => items,
                    Value::Null => Vec::new(),
                    other => vec![other],
                };
                let mut order: Vec<usize> = (0..elements.len()).collect();
                if entry.descending {
                    order.reverse();
                }
                for index in order {
                    let Some(element) = elements.get(index) else {
                        continue;
                    };
                    let mut el_ctx = ctx_now.clone();
                    if let Some(r) = el_ctx.get_mut("request") {
                        r["object"] = doc.clone();
                    }
                    if let Some(map) = el_ctx.as_object_mut() {
                        map.insert("element".to_owned(), element.clone());
                        map.insert("elementIndex".to_owned(), json!(index));
                        map.insert(format!("element{depth}"), element.clone());
                        map.insert(format!("elementIndex{depth}"), json!(index));
                    }
                    add_context(&entry.context, &mut el_ctx)?;
                    if let Some(pre) = &entry.preconditions
                        && !pre.hold(&el_ctx)?
                    {
                        continue;
                    }
                    match apply_mutation(&entry.mutation, &doc, &el_ctx, depth + 1) {
                        Ok(Some(next)) => doc = next,
                        Ok(None) => return Ok(None),
                        // Kyverno skips an element whose variables do not resolve.
                        Err(e) if e.starts_with(jmes::UNRESOLVED) => {}
                        Err(e) => return Err(e),
                    }
                }
            }
            Ok(Some(doc))
        }
    }
}
