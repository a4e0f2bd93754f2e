//! Loading Kyverno `mutate` rules from `ClusterPolicy`/`Policy` documents,
//! unchanged, with every problem located (file, line, column).

use std::path::Path;

use palisade_core::Location;
use palisade_core::yaml::{self, Node};
use serde_json::Value;

use crate::pattern::load::{
    Loader, autogen_annotation, autogen_controllers, autogen_variants, can_autogen_blocks,
    key_node, load_manifest_files, load_match_exclude, load_policy_documents, matches_pods,
    policy_header, read_policy_file, rewrite_json, rewrite_variables, rule_name, with_kinds,
};
use crate::pattern::{
    InvalidPolicyError, MatchBlock, Operator, PatternLoadError, is_pattern_policy,
};

use super::gatekeeper;
use super::jmes;
use super::template::{Query, Template};
use super::{
    Condition, Conditions, ContextEntry, ContextSource, Foreach, MutatePolicy, MutateRule, Mutation,
};

/// What a load produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MutateLoad {
    /// The policies with mutate rules that loaded.
    pub policies: Vec<MutatePolicy>,
    /// The policies (or files) that did not, and why.
    pub errors: Vec<PatternLoadError>,
}

/// Loads every policy with `mutate` rules in files and directories
/// (recursively, `.yaml`/`.yml`/`.json`); other documents are ignored.
pub fn load_paths<P: AsRef<Path>>(paths: &[P]) -> MutateLoad {
    let (policies, errors) = load_manifest_files(paths, |file| {
        let load = load_file(file);
        (load.policies, load.errors)
    });
    MutateLoad { policies, errors }
}

/// Loads the mutate policies of one file.
pub fn load_file(path: &Path) -> MutateLoad {
    let (policies, errors) = read_policy_file(path, |name, text| {
        let load = load_str(name, text);
        (load.policies, load.errors)
    });
    MutateLoad { policies, errors }
}

/// Loads the mutate policies of a YAML text named `name`: every Kyverno
/// `ClusterPolicy`/`Policy` with at least one `mutate` rule (its other
/// rules are left to the validating engines).
pub fn load_str(name: &str, text: &str) -> MutateLoad {
    let wanted = |api: &str, kind: &str, root: &Node| {
        gatekeeper::is_mutator(api, kind) || (is_pattern_policy(api, kind) && has_mutate_rule(root))
    };
    let load = |file: &str, root: &Node| {
        let kind = root.get("kind").and_then(Node::as_str).unwrap_or("");
        if gatekeeper::KINDS.contains(&kind) {
            load_mutator(file, kind, root)
        } else {
            load_policy(file, root)
        }
    };
    let (policies, errors) = load_policy_documents(name, text, wanted, load);
    MutateLoad { policies, errors }
}

/// Loads a Gatekeeper mutator as a policy of one rule (named after its
/// kind); an error is located at the document.
fn load_mutator(
    file: &str,
    kind: &str,
    root: &Node,
) -> Result<MutatePolicy, Vec<PatternLoadError>> {
    let (mut l, name, _) = policy_header(file, root);
    match gatekeeper::Mutator::from_json(kind, &root.to_json()) {
        Ok(m) => Ok(MutatePolicy {
            name,
            namespace: None,
            rules: vec![MutateRule {
                name: kind.to_owned(),
                autogen_of: None,
                match_: MatchBlock::default(),
                exclude: None,
                context: Vec::new(),
                preconditions: None,
                mutation: Mutation::Gatekeeper(Box::new(m)),
                location: l.at(root),
            }],
            location: l.at(root),
        }),
        Err(e) => {
            let at = field_named(root, &e).unwrap_or(root);
            l.invalid(at, format!("{kind}: {e}"));
            Err(l.errors)
        }
    }
}

/// The node of the first field an error message names in backticks
/// (`spec.parameters.pathTests[0].subPath`), or the nearest parent of it
/// the document has.
fn field_named<'a>(root: &'a Node, message: &str) -> Option<&'a Node> {
    let field = message
        .split('`')
        .skip(1)
        .step_by(2)
        .find(|t| t.starts_with("spec."))?;
    let mut at = root;
    for part in field.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((name, rest)) => (name, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        let Some(next) = at.get(name) else {
            return Some(at);
        };
        at = next;
        if let Some(i) = index {
            match at.items().and_then(|items| items.get(i)) {
                Some(item) => at = item,
                None => return Some(at),
            }
        }
    }
    Some(at)
}

fn has_mutate_rule(root: &Node) -> bool {
    root.get("spec")
        .and_then(|s| s.get("rules"))
        .and_then(Node::items)
        .is_some_and(|rules| rules.iter().any(|r| r.get("mutate").is_some()))
}

/// Loads the `mutate` rules of one `ClusterPolicy`/`Policy` document.
pub fn load_policy(file: &str, root: &Node) -> Result<MutatePolicy, Vec<PatternLoadError>> {
    let (mut l, name, namespace) = policy_header(file, root);
    let metadata = root.get("metadata");
    let Some(rules) = root
        .get("spec")
        .and_then(|s| s.get("rules"))
        .and_then(Node::items)
    else {
        l.invalid(root, "missing `spec.rules`");
        return Err(l.errors);
    };
    let mut loaded = Vec::new();
    for rule in rules {
        if rule.get("mutate").is_some()
            && let Some(r) = load_rule(&mut l, rule)
        {
            loaded.push(r);
        }
    }
    if !l.errors.is_empty() {
        return Err(l.errors);
    }
    let annotation = autogen_annotation(metadata);
    let generated = match autogen(&loaded, annotation) {
        Ok(generated) => generated,
        Err(e) => {
            l.invalid(
                root,
                format!("the rules generated for Pod controllers: {e}"),
            );
            return Err(l.errors);
        }
    };
    loaded.extend(generated);
    Ok(MutatePolicy {
        name,
        namespace,
        rules: loaded,
        location: l.at(root),
    })
}

fn load_rule(l: &mut Loader<'_>, node: &Node) -> Option<MutateRule> {
    let (name, before) = rule_name(l, node);
    let rule = Some(name.as_str());
    if let Some(n) = key_node(node, "celPreconditions") {
        l.unsupported(n, rule, "`celPreconditions` (CEL)");
    }
    let context = load_context(l, node.get("context"));
    let mutate = node.get("mutate")?;
    if let Some(n) = key_node(mutate, "targets") {
        l.unsupported(n, rule, "`mutate.targets` (mutating existing resources)");
    }
    let mutation = load_mutation(l, mutate, rule);
    let (match_, exclude) = load_match_exclude(l, node, &name);
    let preconditions = node
        .get("preconditions")
        .and_then(|n| load_conditions(l, n, rule));
    if l.errors.len() != before {
        return None;
    }
    Some(MutateRule {
        name,
        autogen_of: None,
        match_,
        exclude,
        context,
        preconditions,
        mutation: mutation?,
        location: l.at(node),
    })
}

/// A string with `{{ }}` whose expressions must compile.
fn check_text(l: &mut Loader<'_>, node: &Node, text: &str) {
    if text.contains("{{")
        && let Err(e) = jmes::check_template(text)
    {
        l.invalid(node, e);
    }
}

/// `preconditions`: `any`/`all` lists or a plain list.
fn load_conditions(l: &mut Loader<'_>, node: &Node, rule: Option<&str>) -> Option<Conditions> {
    let mut out = Conditions::default();
    let mut list = |l: &mut Loader<'_>, node: Option<&Node>, all: bool| {
        let Some(node) = node else { return };
        let Some(items) = node.items() else {
            l.invalid(node, "conditions must be a list");
            return;
        };
        for item in items {
            let op_node = item.get("operator");
            let operator = op_node.and_then(Node::as_str).unwrap_or("");
            let Some(op) = Operator::parse(operator) else {
                l.unsupported(
                    op_node.unwrap_or(item),
                    rule,
                    format!("the condition operator `{operator}`"),
                );
                continue;
            };
            for field in ["key", "value"] {
                if let Some(n) = item.get(field) {
                    check_patch(l, n, true);
                }
            }
            let get = |l: &mut Loader<'_>, f: &str| {
                let value = item.get(f).map_or(Value::Null, Node::to_json);
                template(l, item.get(f).unwrap_or(item), value)
            };
            let (Some(key), Some(value)) = (get(l, "key"), get(l, "value")) else {
                continue;
            };
            let c = Condition {
                key,
                operator: op,
                value,
            };
            if all {
                out.all.push(c);
            } else {
                out.any.push(c);
            }
        }
    };
    if node.items().is_some() {
        list(l, Some(node), true);
    } else {
        list(l, node.get("any"), false);
        list(l, node.get("all"), true);
    }
    Some(out)
}

/// The compiled template of a value (an error is located at `node`).
fn template(l: &mut Loader<'_>, node: &Node, value: Value) -> Option<Template> {
    Template::new(value).map_err(|e| l.invalid(node, e)).ok()
}

/// The compiled query of a `jmesPath` or `foreach` list.
fn query(l: &mut Loader<'_>, node: &Node, text: &str, what: &str) -> Option<Query> {
    Query::new(text)
        .map_err(|e| l.invalid(node, format!("{what}{e}")))
        .ok()
}

/// `context` entries.
fn load_context(l: &mut Loader<'_>, node: Option<&Node>) -> Vec<ContextEntry> {
    let items = l.list_items(node, "`context` must be a list");
    let mut out = Vec::new();
    for item in items {
        let Some(name) = item.get("name").and_then(Node::scalar_text) else {
            l.invalid(item, "a `context` entry without `name`");
            continue;
        };
        if let Some(var) = item.get("variable") {
            let jmes_path = match var.get("jmesPath") {
                Some(n) => match n.scalar_text() {
                    Some(p) => match query(l, n, &p, "") {
                        Some(q) => Some(q),
                        None => continue,
                    },
                    None => None,
                },
                None => None,
            };
            let field = |l: &mut Loader<'_>, f: &str| match var.get(f) {
                Some(n) => {
                    let before = l.errors.len();
                    check_patch(l, n, true);
                    if l.errors.len() != before {
                        return Err(());
                    }
                    template(l, n, n.to_json()).map(Some).ok_or(())
                }
                None => Ok(None),
            };
            let (Ok(value), Ok(default)) = (field(l, "value"), field(l, "default")) else {
                continue;
            };
            out.push(ContextEntry {
                name,
                source: ContextSource::Variable {
                    value,
                    jmes_path,
                    default,
                },
            });
            continue;
        }
        let kind = ["configMap", "apiCall", "imageRegistry", "globalReference"]
            .into_iter()
            .find(|k| item.get(k).is_some());
        match kind {
            Some(kind) => out.push(ContextEntry {
                name,
                source: ContextSource::External(kind.to_owned()),
            }),
            None => l.invalid(
                item,
                format!("`context` entry `{name}` has none of variable, configMap, apiCall, imageRegistry, globalReference"),
            ),
        }
    }
    out
}

/// `patchStrategicMerge`, `patchesJson6902` or `foreach` (exactly one).
fn load_mutation(l: &mut Loader<'_>, node: &Node, rule: Option<&str>) -> Option<Mutation> {
    if node.entries().is_none() {
        l.invalid(node, "`mutate` must be a mapping");
        return None;
    }
    let smp = node.get("patchStrategicMerge");
    let json = node.get("patchesJson6902");
    let foreach = node.get("foreach");
    let count = [smp, json, foreach].iter().filter(|n| n.is_some()).count();
    if count != 1 {
        l.invalid(
            node,
            "a mutation needs exactly one of `patchStrategicMerge`, `patchesJson6902` and `foreach`",
        );
        return None;
    }
    if let Some(smp) = smp {
        if smp.entries().is_none() {
            l.invalid(smp, "`patchStrategicMerge` must be a mapping");
            return None;
        }
        let before = l.errors.len();
        check_patch(l, smp, false);
        if l.errors.len() != before {
            return None;
        }
        return template(l, smp, smp.to_json()).map(Mutation::StrategicMerge);
    }
    if let Some(json) = json {
        return load_json6902(l, json).map(Mutation::Json6902);
    }
    let foreach = foreach?;
    let Some(items) = foreach.items() else {
        l.invalid(foreach, "`foreach` must be a list");
        return None;
    };
    let mut out = Vec::new();
    for item in items {
        let Some(list) = item.get("list").and_then(Node::scalar_text) else {
            l.invalid(item, "a `foreach` entry without `list`");
            continue;
        };
        let at = item.get("list").unwrap_or(item);
        let Some(list) = query(l, at, &list, "the `foreach` list: ") else {
            continue;
        };
        let descending = match item.get("order").and_then(Node::as_str) {
            None | Some("Ascending") => false,
            Some("Descending") => true,
            Some(other) => {
                l.invalid(
                    item,
                    format!("`order` must be `Ascending` or `Descending`, not `{other}`"),
                );
                false
            }
        };
        let context = load_context(l, item.get("context"));
        let preconditions = item
            .get("preconditions")
            .and_then(|n| load_conditions(l, n, rule));
        let Some(mutation) = load_mutation(l, item, rule) else {
            continue;
        };
        out.push(Foreach {
            list,
            descending,
            context,
            preconditions,
            mutation: Box::new(mutation),
        });
    }
    Some(Mutation::Foreach(out))
}

/// The operations of `patchesJson6902` (a YAML or JSON text), each with
/// `op` and `path` checked.
fn load_json6902(l: &mut Loader<'_>, node: &Node) -> Option<Vec<Template>> {
    let Some(text) = node.as_str() else {
        l.invalid(
            node,
            "`patchesJson6902` must be a string holding a list of operations",
        );
        return None;
    };
    // Positions inside the text are shifted onto the policy file's: the
    // node of a block scalar (`|`) starts where its content starts, and
    // every line of the content has the block's indentation.
    let (line0, column0) = (node.line, node.column);
    let file = l.file;
    let at = |line: u32, column: u32| {
        Location::new(
            file,
            line0 + line.saturating_sub(1),
            column0 + column.saturating_sub(1),
        )
    };
    let root = match yaml::parse_stream(text).into_iter().next() {
        Some(Ok(doc)) => doc.root,
        Some(Err(e)) => {
            let location = at(e.line, e.column);
            l.errors.push(
                InvalidPolicyError {
                    location,
                    message: format!("policy `{}`: `patchesJson6902`: {}", l.policy, e.message),
                }
                .into(),
            );
            return None;
        }
        None => return Some(Vec::new()),
    };
    let Some(items) = root.items() else {
        l.invalid(node, "`patchesJson6902` must hold a list of operations");
        return None;
    };
    let mut ops = Vec::new();
    for item in items {
        let location = at(item.line, item.column);
        let mut bad = |message: String| {
            l.errors.push(
                InvalidPolicyError {
                    location: location.clone(),
                    message: format!("policy `{}`: `patchesJson6902`: {message}", l.policy),
                }
                .into(),
            );
        };
        let op = item.get("op").and_then(Node::as_str).unwrap_or("");
        let needs_value = match op {
            "add" | "replace" | "test" => true,
            "remove" => false,
            "move" | "copy" => {
                if item.get("from").and_then(Node::as_str).is_none() {
                    bad(format!("`{op}` needs `from`"));
                    continue;
                }
                false
            }
            other => {
                bad(format!(
                    "unknown operation `{other}` (one of add, remove, replace, move, copy, test)"
                ));
                continue;
            }
        };
        match item.get("path").and_then(Node::as_str) {
            Some(p) if p.is_empty() || p.starts_with('/') => {}
            Some(p) => {
                bad(format!(
                    "the path `{p}` is not a JSON pointer (it must start with `/`)"
                ));
                continue;
            }
            None => {
                bad(format!("`{op}` without `path`"));
                continue;
            }
        }
        if needs_value && item.get("value").is_none() {
            bad(format!("`{op}` without `value`"));
            continue;
        }
        let before = l.errors.len();
        check_patch(l, item, true);
        if l.errors.len() == before
            && let Some(op) = template(l, item, item.to_json())
        {
            ops.push(op);
        }
    }
    Some(ops)
}

/// Refuses `{{ }}` variables outside the supported JMESPath subset, and
/// anchors on list elements' keys where they cannot mean anything.
fn check_patch(l: &mut Loader<'_>, node: &Node, json6902: bool) {
    match &node.value {
        yaml::Value::String(s) if s.contains("{{") => {
            check_text(l, node, s);
        }
        yaml::Value::Seq(items) => {
            for item in items {
                if !json6902 && item.as_str().is_some_and(is_anchor) {
                    l.invalid(
                        item,
                        format!(
                            "the anchor `{}` is a list element: anchors go on mapping keys",
                            item.as_str().unwrap_or_default()
                        ),
                    );
                }
                check_patch(l, item, json6902);
            }
        }
        yaml::Value::Map(entries) => {
            for (k, v) in entries {
                if let Some(key) = k.as_str() {
                    check_text(l, k, key);
                }
                if !json6902
                    && k.as_str()
                        .and_then(crate::pattern::anchor::parse)
                        .is_some_and(|a| {
                            a.kind != crate::pattern::anchor::AnchorKind::AddIfNotPresent
                        })
                    && v.items().is_some()
                    && v.items()
                        .is_some_and(|items| items.iter().any(|i| i.entries().is_none()))
                {
                    l.invalid(
                        k,
                        format!(
                            "the anchor `{}` tests a list of scalars: a testing anchor needs a mapping or a scalar value",
                            k.as_str().unwrap_or_default()
                        ),
                    );
                }
                check_patch(l, v, json6902);
            }
        }
        _ => {}
    }
}

fn is_anchor(s: &str) -> bool {
    crate::pattern::anchor::parse(s).is_some()
}

/// A template with its variables pointed at the Pod template.
fn autogen_template(t: &Template, cronjob: bool) -> Result<Template, String> {
    Template::new(rewrite_json(t.source(), cronjob))
}

fn autogen_query(q: &Query, cronjob: bool) -> Result<Query, String> {
    Query::new(&rewrite_variables(q.as_str(), cronjob))
}

/// The mutation moved under the Pod template of a controller.
fn autogen_mutation(m: &Mutation, cronjob: bool) -> Result<Mutation, String> {
    let prefix = if cronjob {
        "/spec/jobTemplate/spec/template"
    } else {
        "/spec/template"
    };
    Ok(match m {
        Mutation::StrategicMerge(v) => {
            let inner = rewrite_json(v.source(), cronjob);
            let template = serde_json::json!({ "template": inner });
            Mutation::StrategicMerge(Template::new(if cronjob {
                serde_json::json!({"spec": {"jobTemplate": {"spec": template}}})
            } else {
                serde_json::json!({ "spec": template })
            })?)
        }
        Mutation::Json6902(ops) => Mutation::Json6902(
            ops.iter()
                .map(|op| {
                    let mut op = rewrite_json(op.source(), cronjob);
                    for key in ["path", "from"] {
                        if let Some(Value::String(p)) = op.get_mut(key)
                            && (p.starts_with("/spec") || p.starts_with("/metadata"))
                        {
                            *p = format!("{prefix}{p}");
                        }
                    }
                    Template::new(op)
                })
                .collect::<Result<_, _>>()?,
        ),
        Mutation::Gatekeeper(m) => Mutation::Gatekeeper(m.clone()),
        Mutation::Foreach(list) => Mutation::Foreach(
            list.iter()
                .map(|f| {
                    Ok(Foreach {
                        list: autogen_query(&f.list, cronjob)?,
                        descending: f.descending,
                        context: autogen_context(&f.context, cronjob)?,
                        preconditions: f
                            .preconditions
                            .as_ref()
                            .map(|c| autogen_conditions(c, cronjob))
                            .transpose()?,
                        mutation: Box::new(autogen_mutation(&f.mutation, cronjob)?),
                    })
                })
                .collect::<Result<_, String>>()?,
        ),
    })
}

fn autogen_conditions(c: &Conditions, cronjob: bool) -> Result<Conditions, String> {
    let map = |list: &[Condition]| {
        list.iter()
            .map(|c| {
                Ok(Condition {
                    key: autogen_template(&c.key, cronjob)?,
                    operator: c.operator,
                    value: autogen_template(&c.value, cronjob)?,
                })
            })
            .collect::<Result<_, String>>()
    };
    Ok(Conditions {
        any: map(&c.any)?,
        all: map(&c.all)?,
    })
}

fn autogen_context(entries: &[ContextEntry], cronjob: bool) -> Result<Vec<ContextEntry>, String> {
    entries
        .iter()
        .map(|e| {
            Ok(ContextEntry {
                name: e.name.clone(),
                source: match &e.source {
                    ContextSource::Variable {
                        value,
                        jmes_path,
                        default,
                    } => ContextSource::Variable {
                        value: value
                            .as_ref()
                            .map(|v| autogen_template(v, cronjob))
                            .transpose()?,
                        jmes_path: jmes_path
                            .as_ref()
                            .map(|p| autogen_query(p, cronjob))
                            .transpose()?,
                        default: default.clone(),
                    },
                    other => other.clone(),
                },
            })
        })
        .collect()
}

fn autogen(rules: &[MutateRule], annotation: Option<&str>) -> Result<Vec<MutateRule>, String> {
    let Some((plain, cron)) = autogen_controllers(annotation) else {
        return Ok(Vec::new());
    };
    if !can_autogen_blocks(rules.iter().map(|r| (&r.match_, r.exclude.as_ref()))) {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for rule in rules {
        if !matches_pods(&rule.match_) {
            continue;
        }
        for (name, kinds, cronjob) in autogen_variants(&rule.name, &plain, cron) {
            out.push(MutateRule {
                name,
                autogen_of: Some(rule.name.clone()),
                match_: with_kinds(&rule.match_, &kinds),
                exclude: rule.exclude.as_ref().map(|e| with_kinds(e, &kinds)),
                context: autogen_context(&rule.context, cronjob)?,
                preconditions: rule
                    .preconditions
                    .as_ref()
                    .map(|c| autogen_conditions(c, cronjob))
                    .transpose()?,
                mutation: autogen_mutation(&rule.mutation, cronjob)?,
                location: rule.location.clone(),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_patch_errors_point_into_the_block() {
        let text = "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: p}\nspec:\n  rules:\n  - name: r\n    match: {any: [{resources: {kinds: [Pod]}}]}\n    mutate:\n      patchesJson6902: |-\n        - op: add\n          path: /a\n          value: 1\n        - op: nope\n          path: /b\n";
        let load = load_str("p.yaml", text);
        let e = load.errors.first().unwrap();
        // The operation's mapping: `op` on the file's line 13, column 11.
        assert_eq!((e.location().line, e.location().column), (13, 11), "{e}");
    }
}
