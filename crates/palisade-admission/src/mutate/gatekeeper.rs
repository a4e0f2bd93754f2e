//! Gatekeeper mutators (`mutations.gatekeeper.sh`): `Assign`,
//! `AssignMetadata`, `ModifySet` and `AssignImage`, loaded unchanged and
//! applied as Gatekeeper's mutation webhook applies them.
//!
//! - Selection: `applyTo` (group, version and kind of the object; every
//!   mutator but `AssignMetadata` needs it) and `match`, with the
//!   constraints' matcher ([`crate::gatekeeper::Match`]).
//! - `location` ([`super::location`]): missing objects on the way are
//!   created, a keyed list element named by value (`[name: foo]`) is
//!   created when absent, a glob (`[name: *]`) walks every element.
//! - `parameters.pathTests`: `MustExist` / `MustNotExist` on a prefix of
//!   the location, per branch; `parameters.assignIf` (`in`, `notIn`) on the
//!   value at the location (null when absent).
//! - `Assign`: `assign.value` or `assign.fromMetadata` (`namespace`,
//!   `name`); `AssignMetadata`: a label or annotation, only added when
//!   absent; `ModifySet`: `merge` (append what is missing) or `prune`
//!   (remove) `values.fromList`; `AssignImage`: `assignDomain`,
//!   `assignPath`, `assignTag` replace those parts of an image reference.
//! - `assign.externalData` needs a provider service, so a mutator using it
//!   is refused at load, as is anything Gatekeeper itself refuses (a
//!   location into `metadata` for `Assign`, a changed list key, a glob at
//!   the end, a value of the wrong shape for a keyed list).
//!
//! Gatekeeper repeats its mutators until the object stops changing; the
//! four mutators are idempotent on their own, so one pass in load order is
//! what this stage runs.

use serde_json::{Map, Value, json};

use crate::gatekeeper::Match;
use crate::pattern::PatternRequest;
use crate::review::{AdmissionRequest, Context, GroupVersionKind};

use super::location::{self, Node};

/// The mutator kinds.
pub const KINDS: [&str; 4] = ["Assign", "AssignMetadata", "ModifySet", "AssignImage"];

/// Whether a document is a Gatekeeper mutator.
pub fn is_mutator(api_version: &str, kind: &str) -> bool {
    api_version.starts_with("mutations.gatekeeper.sh/") && KINDS.contains(&kind)
}

/// One `applyTo` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplyTo {
    /// `groups`.
    pub groups: Vec<String>,
    /// `versions`.
    pub versions: Vec<String>,
    /// `kinds`.
    pub kinds: Vec<String>,
}

/// `pathTests` conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathCondition {
    /// The path must exist.
    MustExist,
    /// The path must not exist.
    MustNotExist,
}

/// What a mutator does at its location.
#[derive(Debug, Clone, PartialEq)]
pub enum Operation {
    /// `Assign`: set the value.
    Assign(AssignValue),
    /// `AssignMetadata`: add the label or annotation when absent.
    AssignMetadata(AssignValue),
    /// `ModifySet`: `merge` (true) or `prune` (false) the values.
    ModifySet {
        /// `operation: merge` (the default); `prune` otherwise.
        merge: bool,
        /// `values.fromList`.
        values: Vec<Value>,
    },
    /// `AssignImage`: replace parts of the image reference.
    AssignImage {
        /// `assignDomain`.
        domain: Option<String>,
        /// `assignPath`.
        path: Option<String>,
        /// `assignTag` (`:tag` or `@digest`).
        tag: Option<String>,
    },
}

/// `parameters.assign`.
#[derive(Debug, Clone, PartialEq)]
pub enum AssignValue {
    /// `value`.
    Value(Value),
    /// `fromMetadata.field`: `namespace` or `name` of the object.
    FromMetadata(String),
}

/// `parameters.assignIf`: conditions on the value at the location (null
/// when absent).
#[derive(Debug, Clone, PartialEq)]
pub struct AssignIf {
    /// `in`: the value must be one of these.
    pub within: Option<Vec<Value>>,
    /// `notIn`: the value must be none of these.
    pub not_within: Option<Vec<Value>>,
}

/// One Gatekeeper mutator, loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct Mutator {
    /// `Assign`, `AssignMetadata`, `ModifySet` or `AssignImage`.
    pub kind: String,
    /// `spec.applyTo` (empty for `AssignMetadata`).
    pub apply_to: Vec<ApplyTo>,
    /// `spec.match`.
    pub match_: Match,
    /// `spec.location`, parsed.
    pub location: Vec<Node>,
    /// `parameters.pathTests`: the depth (node index) each condition holds at.
    pub path_tests: Vec<(usize, PathCondition)>,
    /// `parameters.assignIf`.
    pub assign_if: Option<AssignIf>,
    /// What it does.
    pub operation: Operation,
}

fn strings(v: Option<&Value>, field: &str) -> Result<Vec<String>, String> {
    crate::string_list::string_list(v).map_err(|e| e.message(field))
}

impl Mutator {
    /// Reads a mutator document (as JSON); the error names the field.
    pub fn from_json(kind: &str, doc: &Value) -> Result<Mutator, String> {
        let spec = doc.get("spec").ok_or("missing `spec`")?;
        let text = spec
            .get("location")
            .and_then(Value::as_str)
            .ok_or("`spec.location` must be a string")?;
        let nodes = location::parse(text).map_err(|e| format!("`spec.location` `{text}`: {e}"))?;
        let params = spec.get("parameters").cloned().unwrap_or(json!({}));
        let mut apply_to = Vec::new();
        if kind != "AssignMetadata" {
            let entries = spec
                .get("applyTo")
                .and_then(Value::as_array)
                .filter(|a| !a.is_empty())
                .ok_or_else(|| format!("`{kind}` needs `spec.applyTo`"))?;
            for (i, e) in entries.iter().enumerate() {
                let field = |f: &str| strings(e.get(f), &format!("spec.applyTo[{i}].{f}"));
                apply_to.push(ApplyTo {
                    groups: field("groups")?,
                    versions: field("versions")?,
                    kinds: field("kinds")?,
                });
            }
        }
        let match_ = Match::from_json(spec.get("match"))?;
        let last = nodes.last().ok_or("`spec.location` is empty")?;
        if nodes.len() > 1
            && let (Some(Node::Keyed { key, .. }), Node::Field(f)) =
                (nodes.get(nodes.len() - 2), last)
            && key == f
        {
            return Err(format!(
                "`spec.location` ends at the list key `{key}`: a key cannot be changed"
            ));
        }
        let is_field = |n: &Node, name: &str| matches!(n, Node::Field(f) if f == name);
        let metadata_root = nodes.first().is_some_and(|n| is_field(n, "metadata"));
        let operation = match kind {
            "Assign" | "AssignMetadata" => {
                let assign = params
                    .get("assign")
                    .ok_or("missing `spec.parameters.assign`")?;
                if assign.get("externalData").is_some() {
                    return Err("`spec.parameters.assign.externalData` asks an external data provider, which Palisade does not call".to_owned());
                }
                let value = match (assign.get("value"), assign.get("fromMetadata")) {
                    (Some(v), None) => AssignValue::Value(v.clone()),
                    (None, Some(m)) => {
                        let field = m.get("field").and_then(Value::as_str).unwrap_or("");
                        if !matches!(field, "namespace" | "name") {
                            return Err(format!(
                                "`spec.parameters.assign.fromMetadata.field` must be `namespace` or `name`, not `{field}`"
                            ));
                        }
                        AssignValue::FromMetadata(field.to_owned())
                    }
                    _ => {
                        return Err("`spec.parameters.assign` needs exactly one of `value`, `fromMetadata`, `externalData`".to_owned());
                    }
                };
                if kind == "Assign" {
                    if metadata_root {
                        return Err("`spec.location` is under `metadata`, which `Assign` cannot change: use `AssignMetadata`".to_owned());
                    }
                    if let Node::Keyed { key, value: kv } = last {
                        let Some(kv) = kv else {
                            return Err(
                                "`spec.location` cannot end with a glob `[...: *]`".to_owned()
                            );
                        };
                        match &value {
                            AssignValue::Value(Value::Object(m))
                                if m.get(key).and_then(Value::as_str) == Some(kv) => {}
                            AssignValue::Value(_) => {
                                return Err(format!(
                                    "`spec.parameters.assign.value` must be an object with `{key}: {kv}` to replace the list element `[{key}: {kv}]`"
                                ));
                            }
                            AssignValue::FromMetadata(_) => {
                                return Err("`spec.parameters.assign.fromMetadata` cannot be assigned to a list element".to_owned());
                            }
                        }
                    }
                    Operation::Assign(value)
                } else {
                    let valid = nodes.len() == 3
                        && metadata_root
                        && nodes
                            .get(1)
                            .is_some_and(|n| is_field(n, "labels") || is_field(n, "annotations"))
                        && matches!(last, Node::Field(_));
                    if !valid {
                        return Err(format!(
                            "`spec.location` must be `metadata.labels.<key>` or `metadata.annotations.<key>` for `AssignMetadata`, not `{text}`"
                        ));
                    }
                    if let AssignValue::Value(v) = &value
                        && !v.is_string()
                    {
                        return Err(
                            "`spec.parameters.assign.value` must be a string for `AssignMetadata`"
                                .to_owned(),
                        );
                    }
                    Operation::AssignMetadata(value)
                }
            }
            "ModifySet" => {
                if metadata_root {
                    return Err(
                        "`spec.location` is under `metadata`, which `ModifySet` cannot change"
                            .to_owned(),
                    );
                }
                if !matches!(last, Node::Field(_)) {
                    return Err(
                        "`spec.location` must end at a list field for `ModifySet`".to_owned()
                    );
                }
                let merge = match params.get("operation").and_then(Value::as_str) {
                    None | Some("merge") => true,
                    Some("prune") => false,
                    Some(other) => {
                        return Err(format!(
                            "`spec.parameters.operation` must be `merge` or `prune`, not `{other}`"
                        ));
                    }
                };
                let values = params
                    .get("values")
                    .and_then(|v| v.get("fromList"))
                    .and_then(Value::as_array)
                    .cloned()
                    .ok_or("`spec.parameters.values.fromList` must be a list")?;
                Operation::ModifySet { merge, values }
            }
            "AssignImage" => {
                if metadata_root {
                    return Err(
                        "`spec.location` is under `metadata`, which `AssignImage` cannot change"
                            .to_owned(),
                    );
                }
                if !matches!(last, Node::Field(_)) {
                    return Err(
                        "`spec.location` must end at an image field for `AssignImage`".to_owned(),
                    );
                }
                let part = |f: &str| -> Result<Option<String>, String> {
                    match params.get(f) {
                        None | Some(Value::Null) => Ok(None),
                        Some(Value::String(s)) if s.is_empty() => Ok(None),
                        Some(Value::String(s)) => Ok(Some(s.clone())),
                        Some(_) => Err(format!("`spec.parameters.{f}` must be a string")),
                    }
                };
                let (domain, path, tag) = (
                    part("assignDomain")?,
                    part("assignPath")?,
                    part("assignTag")?,
                );
                if domain.is_none() && path.is_none() && tag.is_none() {
                    return Err("`spec.parameters` needs one of `assignDomain`, `assignPath`, `assignTag` for `AssignImage`".to_owned());
                }
                if let Some(t) = &tag
                    && !(t.starts_with(':') || t.starts_with('@'))
                {
                    return Err(format!(
                        "`spec.parameters.assignTag` `{t}` must start with `:` or `@`"
                    ));
                }
                if let Some(d) = &domain
                    && d.contains('/')
                {
                    return Err(format!(
                        "`spec.parameters.assignDomain` `{d}` must not contain `/`"
                    ));
                }
                if let Some(p) = &path {
                    if p.starts_with('/') || p.ends_with('/') {
                        return Err(format!(
                            "`spec.parameters.assignPath` `{p}` must not start or end with `/`"
                        ));
                    }
                    if domain.is_none() && !split_domain(p).0.is_empty() {
                        return Err(format!(
                            "`spec.parameters.assignPath` `{p}` reads as a domain and a path: set `assignDomain` too"
                        ));
                    }
                }
                Operation::AssignImage { domain, path, tag }
            }
            other => return Err(format!("`{other}` is not a Gatekeeper mutator")),
        };
        let mut path_tests: Vec<(usize, PathCondition)> = Vec::new();
        if let Some(tests) = params.get("pathTests").filter(|t| !t.is_null()) {
            let tests = tests
                .as_array()
                .ok_or("`spec.parameters.pathTests` must be a list")?;
            for (i, t) in tests.iter().enumerate() {
                let sub = t.get("subPath").and_then(Value::as_str).ok_or_else(|| {
                    format!("`spec.parameters.pathTests[{i}].subPath` must be a string")
                })?;
                let sub_nodes = location::parse(sub).map_err(|e| {
                    format!("`spec.parameters.pathTests[{i}].subPath` `{sub}`: {e}")
                })?;
                if sub_nodes.len() > nodes.len()
                    || nodes.get(..sub_nodes.len()) != Some(&sub_nodes[..])
                {
                    return Err(format!(
                        "`spec.parameters.pathTests[{i}].subPath` `{sub}` is not a prefix of the location `{text}`"
                    ));
                }
                let condition = match t.get("condition").and_then(Value::as_str) {
                    Some("MustExist") => PathCondition::MustExist,
                    Some("MustNotExist") => PathCondition::MustNotExist,
                    other => {
                        return Err(format!(
                            "`spec.parameters.pathTests[{i}].condition` must be `MustExist` or `MustNotExist`, not `{}`",
                            other.unwrap_or("")
                        ));
                    }
                };
                let depth = sub_nodes.len() - 1;
                if path_tests
                    .iter()
                    .any(|(d, c)| *d == depth && *c != condition)
                {
                    return Err(format!(
                        "`spec.parameters.pathTests`: conflicting conditions on `{sub}`"
                    ));
                }
                path_tests.push((depth, condition));
            }
        }
        let assign_if = match params.get("assignIf").filter(|a| !a.is_null()) {
            None => None,
            Some(a) => {
                if kind != "Assign" {
                    return Err("`spec.parameters.assignIf` is an `Assign` parameter".to_owned());
                }
                let list = |f: &str| -> Result<Option<Vec<Value>>, String> {
                    match a.get(f) {
                        None | Some(Value::Null) => Ok(None),
                        Some(Value::Array(items)) => Ok(Some(items.clone())),
                        Some(_) => Err(format!("`spec.parameters.assignIf.{f}` must be a list")),
                    }
                };
                Some(AssignIf {
                    within: list("in")?,
                    not_within: list("notIn")?,
                })
            }
        };
        Ok(Mutator {
            kind: kind.to_owned(),
            apply_to,
            match_,
            location: nodes,
            path_tests,
            assign_if,
            operation,
        })
    }

    /// Whether the mutator applies to the request's object: `applyTo` and
    /// `match`.
    pub fn selects(&self, req: &PatternRequest<'_>) -> bool {
        let object = req.object;
        let api_version = object
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("");
        let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        if self.kind != "AssignMetadata"
            && !self.apply_to.iter().any(|a| {
                a.groups.iter().any(|g| g == group)
                    && a.versions.iter().any(|v| v == version)
                    && a.kinds.iter().any(|k| k == kind)
            })
        {
            return false;
        }
        let meta = |k: &str| {
            object
                .get("metadata")
                .and_then(|m| m.get(k))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let namespace = meta("namespace").filter(|n| !n.is_empty());
        let request = AdmissionRequest {
            kind: GroupVersionKind {
                group: group.to_owned(),
                version: version.to_owned(),
                kind: kind.to_owned(),
            },
            name: meta("name").unwrap_or_default(),
            namespace: namespace.clone(),
            object: Some(object.clone()),
            old_object: req.old_object.cloned(),
            ..AdmissionRequest::default()
        };
        let mut context = Context::new();
        if let (Some(ns), Some(labels)) = (&namespace, req.namespace_labels) {
            context.add_namespace(json!({"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": ns, "labels": labels}}));
        }
        self.match_.matches(&request, &context)
    }

    /// The object after the mutation (`Ok(None)`: nothing changed).
    pub fn apply(&self, object: &Value) -> Result<Option<Value>, String> {
        let mut out = object.clone();
        let meta = |k: &str| {
            object
                .get("metadata")
                .and_then(|m| m.get(k))
                .cloned()
                .unwrap_or(Value::String(String::new()))
        };
        let value = match &self.operation {
            Operation::Assign(AssignValue::FromMetadata(f))
            | Operation::AssignMetadata(AssignValue::FromMetadata(f)) => Some(meta(f)),
            Operation::Assign(AssignValue::Value(v))
            | Operation::AssignMetadata(AssignValue::Value(v)) => Some(v.clone()),
            _ => None,
        };
        let walk = Walk {
            mutator: self,
            value: value.as_ref(),
        };
        let changed = walk.step(&mut out, 0)?;
        Ok((changed && out != *object).then_some(out))
    }
}

struct Walk<'a> {
    mutator: &'a Mutator,
    value: Option<&'a Value>,
}

impl Walk<'_> {
    fn condition(&self, depth: usize) -> Option<PathCondition> {
        self.mutator
            .path_tests
            .iter()
            .find(|(d, _)| *d == depth)
            .map(|(_, c)| *c)
    }

    fn exists_ok(&self, depth: usize) -> bool {
        self.condition(depth) != Some(PathCondition::MustNotExist)
    }

    fn missing_ok(&self, depth: usize) -> bool {
        self.condition(depth) != Some(PathCondition::MustExist)
    }

    /// A fresh value for the node after `depth` (with the list key set
    /// when `depth` is a keyed list).
    fn fresh(&self, depth: usize) -> Value {
        let next = match self.mutator.location.get(depth + 1) {
            Some(Node::Keyed { .. }) => Value::Array(Vec::new()),
            _ => Value::Object(Map::new()),
        };
        match (self.mutator.location.get(depth), next) {
            (
                Some(Node::Keyed {
                    key,
                    value: Some(v),
                }),
                Value::Object(mut m),
            ) => {
                m.insert(key.clone(), Value::String(v.clone()));
                Value::Object(m)
            }
            (_, next) => next,
        }
    }

    fn step(&self, current: &mut Value, depth: usize) -> Result<bool, String> {
        let nodes = &self.mutator.location;
        let last = depth + 1 == nodes.len();
        match nodes.get(depth) {
            None => Ok(false),
            Some(Node::Field(name)) => {
                let Value::Object(map) = current else {
                    return Err(format!(
                        "`{}` is not an object",
                        location::render(nodes.get(..depth).unwrap_or(&[]))
                    ));
                };
                let exists = map.contains_key(name);
                if (exists && !self.exists_ok(depth)) || (!exists && !self.missing_ok(depth)) {
                    return Ok(false);
                }
                if last {
                    return self.set(map, name);
                }
                let slot = map.entry(name.clone()).or_insert_with(|| self.fresh(depth));
                let changed = self.step(slot, depth + 1)?;
                if !changed && !exists {
                    map.remove(name);
                }
                Ok(changed)
            }
            Some(Node::Keyed { key, value }) => {
                let Value::Array(items) = current else {
                    return Err(format!(
                        "`{}` is not a list",
                        location::render(nodes.get(..depth).unwrap_or(&[]))
                    ));
                };
                if last {
                    return self.set_element(items, key, value.as_deref(), depth);
                }
                if value.is_none() && !self.exists_ok(depth) {
                    return Ok(false);
                }
                let mut changed = false;
                let mut found = false;
                for item in items.iter_mut() {
                    let selected = match value {
                        None => true,
                        Some(v) => item.get(key).and_then(Value::as_str) == Some(v.as_str()),
                    };
                    if !selected {
                        continue;
                    }
                    if value.is_some() && !self.exists_ok(depth) {
                        return Ok(false);
                    }
                    found = true;
                    changed |= self.step(item, depth + 1)?;
                }
                if value.is_some() && !found {
                    if !self.missing_ok(depth) {
                        return Ok(false);
                    }
                    let mut fresh = self.fresh(depth);
                    if self.step(&mut fresh, depth + 1)? {
                        items.push(fresh);
                        changed = true;
                    }
                }
                Ok(changed)
            }
        }
    }

    /// The last node, a keyed list element: replaced or appended.
    fn set_element(
        &self,
        items: &mut Vec<Value>,
        key: &str,
        value: Option<&str>,
        depth: usize,
    ) -> Result<bool, String> {
        let (Some(v), Some(new)) = (value, self.value) else {
            return Ok(false);
        };
        match items
            .iter_mut()
            .find(|i| i.get(key).and_then(Value::as_str) == Some(v))
        {
            Some(item) => {
                if !self.exists_ok(depth) || !self.assign_if_holds(Some(item)) {
                    return Ok(false);
                }
                *item = new.clone();
            }
            None => {
                if !self.missing_ok(depth) || !self.assign_if_holds(None) {
                    return Ok(false);
                }
                items.push(new.clone());
            }
        }
        Ok(true)
    }

    fn assign_if_holds(&self, current: Option<&Value>) -> bool {
        let Some(cond) = &self.mutator.assign_if else {
            return true;
        };
        let current = current.unwrap_or(&Value::Null);
        cond.within.as_ref().is_none_or(|l| l.contains(current))
            && cond
                .not_within
                .as_ref()
                .is_none_or(|l| !l.contains(current))
    }

    /// The last node, a field of `map`.
    fn set(&self, map: &mut Map<String, Value>, name: &str) -> Result<bool, String> {
        match &self.mutator.operation {
            Operation::Assign(_) => {
                let Some(value) = self.value else {
                    return Ok(false);
                };
                if !self.assign_if_holds(map.get(name)) {
                    return Ok(false);
                }
                map.insert(name.to_owned(), value.clone());
                Ok(true)
            }
            Operation::AssignMetadata(_) => {
                let Some(value) = self.value else {
                    return Ok(false);
                };
                if map.contains_key(name) {
                    return Ok(false);
                }
                map.insert(name.to_owned(), value.clone());
                Ok(true)
            }
            Operation::ModifySet { merge, values } => {
                let list = match map.get_mut(name) {
                    Some(Value::Array(items)) => items,
                    Some(Value::Null) | None if *merge => {
                        map.insert(name.to_owned(), Value::Array(Vec::new()));
                        match map.get_mut(name) {
                            Some(Value::Array(items)) => items,
                            _ => return Ok(false),
                        }
                    }
                    Some(Value::Null) | None => return Ok(false),
                    Some(_) => return Err(format!("`{name}` is not a list")),
                };
                let before = list.len();
                if *merge {
                    for v in values {
                        if !list.contains(v) {
                            list.push(v.clone());
                        }
                    }
                    Ok(list.len() != before || before == 0)
                } else {
                    list.retain(|item| !values.contains(item));
                    Ok(list.len() != before)
                }
            }
            Operation::AssignImage { domain, path, tag } => {
                let current = match map.get(name) {
                    Some(Value::String(s)) => s.as_str(),
                    None | Some(Value::Null) => "",
                    Some(_) => return Err(format!("`{name}` is not a string")),
                };
                let image =
                    assign_image(current, domain.as_deref(), path.as_deref(), tag.as_deref());
                map.insert(name.to_owned(), Value::String(image));
                Ok(true)
            }
        }
    }
}

/// Splits an image reference's domain off, as Docker's reference parser
/// does: the first part is a domain when it has a `.` or `:`, is
/// `localhost`, or has upper-case letters.
fn split_domain(name: &str) -> (&str, &str) {
    match name.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.chars().any(|c| c.is_ascii_uppercase()) =>
        {
            (first, rest)
        }
        _ => ("", name),
    }
}

/// Splits `path` and the tag (`:tag`, `@digest`, or both) of a reference
/// without its domain.
fn split_tag(rest: &str) -> (&str, &str) {
    if let Some(at) = rest.find('@') {
        let (path, _) = split_tag(rest.get(..at).unwrap_or(rest));
        return (path, rest.get(path.len()..).unwrap_or(""));
    }
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    match rest.get(last_slash..).and_then(|tail| tail.find(':')) {
        Some(colon) => rest.split_at(last_slash + colon),
        None => (rest, ""),
    }
}

/// The image with the given parts replaced.
fn assign_image(
    image: &str,
    domain: Option<&str>,
    path: Option<&str>,
    tag: Option<&str>,
) -> String {
    let (d, rest) = split_domain(image);
    let (p, t) = split_tag(rest);
    let d = domain.unwrap_or(d);
    let p = path.unwrap_or(p);
    let t = tag.unwrap_or(t);
    if d.is_empty() {
        format!("{p}{t}")
    } else {
        format!("{d}/{p}{t}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_parts_are_replaced() {
        let cases = [
            (
                "nginx",
                Some("my.registry.io"),
                None,
                None,
                "my.registry.io/nginx",
            ),
            (
                "my.registry.io:2000/repo/app:latest",
                None,
                None,
                Some("@sha256:abc"),
                "my.registry.io:2000/repo/app@sha256:abc",
            ),
            (
                "docker.io/library/nginx:1.25@sha256:abc",
                Some("r.io"),
                None,
                None,
                "r.io/library/nginx:1.25@sha256:abc",
            ),
            (
                "localhost:5000/app",
                None,
                Some("team/app"),
                Some(":v2"),
                "localhost:5000/team/app:v2",
            ),
            ("", Some("r.io"), Some("app"), Some(":1"), "r.io/app:1"),
        ];
        for (image, d, p, t, want) in cases {
            assert_eq!(assign_image(image, d, p, t), want, "{image}");
        }
    }
}
