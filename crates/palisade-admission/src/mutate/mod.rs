//! Mutation: Kyverno `ClusterPolicy`/`Policy` `mutate` rules, run before
//! validation as the API server runs mutating admission before validating
//! admission.
//!
//! A mutation is the ordered list of RFC 6902 JSON patches it made, each
//! with the policy and rule that made it ([`AppliedPatch`]). Rules:
//! `patchStrategicMerge` with Kyverno's anchors (`+(key)`, `(key)`,
//! `<(key)`, `=(key)`, `X(key)`; see [`merge`]), `patchesJson6902`,
//! `foreach` (a list expression, per-element patches, nested `foreach`,
//! per-element `preconditions`), rule `preconditions`, `{{ }}` variables
//! in the JMESPath subset of [`crate::pattern`] (`request.*`, `element`,
//! `elementIndex`, `images`, `||`), and the rules Kyverno generates for
//! Pod controllers. Policies load unchanged; what is not supported
//! (`context`, other JMESPath) is refused at load with file, line and
//! column.
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

pub(crate) mod kyverno;
mod load;
pub mod merge;

use palisade_core::Location;
use serde_json::{Value, json};

use crate::pattern::eval::{context, metadata_str};
use crate::pattern::{Conditions, MatchBlock, PatternRequest, Template, block_matches, parse_expr};

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
    /// Conditions per element.
    pub preconditions: Option<Conditions>,
    /// What each element changes (`element`, `elementIndex` bound).
    pub mutation: Box<Mutation>,
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
    let mut out = MutationOutcome {
        object: req.object.clone(),
        patches: Vec::new(),
        rules: Vec::new(),
    };
    for policy in policies {
        policy.apply(req, &mut out);
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
    pub fn apply(&self, req: &PatternRequest<'_>, out: &mut MutationOutcome) {
        for rule in &self.rules {
            // Each rule sees the object as the rules before it left it.
            let current = out.object.clone();
            let mut request = *req;
            request.object = &current;
            if !self.selects(rule, &request) {
                continue;
            }
            let ctx = context(&request);
            let result = |status, message: String| RuleMutation {
                policy: self.name.clone(),
                rule: rule.name.clone(),
                autogen_of: rule.autogen_of.clone(),
                status,
                message,
            };
            if let Some(pre) = &rule.preconditions
                && !pre.hold(&ctx)
            {
                out.rules.push(result(
                    MutateStatus::Skip,
                    "preconditions not met".to_owned(),
                ));
                continue;
            }
            match apply_mutation(&rule.mutation, &current, &ctx, 0) {
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

/// Resolves every `{{ }}` variable of a patch in `ctx`.
fn substitute(value: &Value, ctx: &Value) -> Value {
    match value {
        Value::String(s) if s.contains("{{") => match Template::parse(value) {
            Ok(t) => t.resolve(ctx),
            Err(_) => value.clone(),
        },
        Value::Array(items) => Value::Array(items.iter().map(|v| substitute(v, ctx)).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), substitute(v, ctx)))
                .collect(),
        ),
        other => other.clone(),
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
            let patch = substitute(patch, ctx);
            match merge::merge(Some(object), &patch) {
                Ok(v) => Ok(Some(v)),
                Err(merge::Skip::Local) => Ok(Some(object.clone())),
                Err(merge::Skip::Global) => Ok(None),
            }
        }
        Mutation::Json6902(ops) => {
            let ops = substitute(&Value::Array(ops.clone()), ctx);
            let patch: json_patch::Patch = serde_json::from_value(ops)
                .map_err(|e| format!("invalid `patchesJson6902` after variables: {e}"))?;
            let mut doc = object.clone();
            json_patch::patch(&mut doc, &patch).map_err(|e| e.to_string())?;
            Ok(Some(doc))
        }
        Mutation::Foreach(entries) => {
            if depth >= MAX_FOREACH_DEPTH {
                return Err(format!("`foreach` nested deeper than {MAX_FOREACH_DEPTH}"));
            }
            let mut doc = object.clone();
            for entry in entries {
                let expr = parse_expr(entry.list.trim())
                    .map_err(|e| format!("`foreach` list `{}`: {e}", entry.list))?;
                // The list is read from the object as it is now.
                let mut ctx_now = ctx.clone();
                if let Some(r) = ctx_now.get_mut("request") {
                    r["object"] = doc.clone();
                }
                let elements = match expr.eval(&ctx_now) {
                    Value::Array(items) => items,
                    Value::Null => Vec::new(),
                    other => vec![other],
                };
                for (index, element) in elements.iter().enumerate() {
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
                    if let Some(pre) = &entry.preconditions
                        && !pre.hold(&el_ctx)
                    {
                        continue;
                    }
                    match apply_mutation(&entry.mutation, &doc, &el_ctx, depth + 1)? {
                        Some(next) => doc = next,
                        None => return Ok(None),
                    }
                }
            }
            Ok(Some(doc))
        }
    }
}
