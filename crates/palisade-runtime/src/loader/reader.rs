//! Reading rules files: each YAML item is checked the way Falco's
//! `rule_loader::reader` checks it (same messages) and handed to the
//! [`Collector`]. The first error of a file stops that file.

use std::collections::BTreeSet;

use palisade_core::Severity;
use palisade_core::yaml::{self, Node, Value};

use super::collector::{Collector, Entry, ExceptionInfo, RuleInfo, RuleUpdate, parse_semver};
use super::{ConditionChecker, Context, Failure, ItemKind, Sink};

const YAML_VALIDATE: &str = "LOAD_ERR_YAML_VALIDATE";
const YAML_PARSE: &str = "LOAD_ERR_YAML_PARSE";

const WARNING_APPEND: &str = "'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.";
const WARNING_ENABLED: &str = "The standalone 'enabled' key usage is deprecated. The correct approach requires also a 'replace' entry under the 'override' key (i.e. 'enabled: replace').";
const ERROR_OVERRIDE_APPEND: &str = "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.";

/// Reads one file into `collector`.
pub(crate) fn read_file(
    name: &str,
    text: &str,
    collector: &mut Collector,
    checker: &dyn ConditionChecker,
    sink: &mut Sink<'_>,
) {
    let file_ctx = Context {
        file: name.to_owned(),
        line: 1,
        column: 1,
        kind: ItemKind::File,
        name: String::new(),
    };
    let docs = match parse_yaml(text) {
        Ok(docs) => docs,
        Err(e) => {
            sink.error(Failure::new(
                YAML_PARSE,
                e.message,
                &file_ctx.at(e.line, e.column),
            ));
            return;
        }
    };
    for (context, message) in super::schema::check(name, &docs) {
        sink.schema.push(super::Diagnostic {
            level: super::Level::Warning,
            code: "SCHEMA_VALIDATION",
            message,
            context,
        });
    }
    let mut reader = Reader {
        collector,
        checker,
        sink,
    };
    for doc in docs {
        let root = &doc.root;
        if root.is_null() {
            continue;
        }
        let result = match &root.value {
            Value::Seq(items) => items
                .iter()
                .filter(|item| !item.is_null())
                .try_for_each(|item| reader.read_item(item, &file_ctx)),
            Value::Map(_) => Err(Failure::new(
                YAML_VALIDATE,
                "Rules content is not yaml array of objects",
                &file_ctx,
            )),
            _ => Err(Failure::new(
                YAML_VALIDATE,
                "Rules content is not yaml",
                &file_ctx,
            )),
        };
        if let Err(failure) = result {
            reader.sink.error(failure);
            return;
        }
    }
}

/// Parses the YAML stream (positions on every node; see `palisade_core::yaml`
/// for the libyaml compatibility it keeps).
fn parse_yaml(text: &str) -> Result<Vec<yaml::Document>, yaml::SyntaxError> {
    yaml::parse_stream(text).into_iter().collect()
}

struct Reader<'r, 's, 'w> {
    collector: &'r mut Collector,
    checker: &'r dyn ConditionChecker,
    sink: &'s mut Sink<'w>,
}

fn ctx_of(parent: &Context, node: &Node, kind: ItemKind, name: &str) -> Context {
    Context {
        file: parent.file.clone(),
        line: node.line,
        column: node.column,
        kind,
        name: name.to_owned(),
    }
}

fn fail(message: impl Into<String>, ctx: &Context) -> Failure {
    Failure::new(YAML_VALIDATE, message, ctx)
}

fn node_ctx(ctx: &Context, node: &Node) -> Context {
    ctx.at(node.line, node.column)
}

/// Falco's `decode_val`: the key's scalar value as text, with its checks.
/// `Ok(None)` when the key is absent and `optional`, or when the value is
/// empty and `can_be_empty`.
fn decode_text(
    item: &Node,
    key: &str,
    ctx: &Context,
    optional: bool,
    can_be_empty: bool,
) -> Result<Option<(String, Context)>, Failure> {
    let Some(val) = item.get(key) else {
        if optional {
            return Ok(None);
        }
        return Err(fail(format!("Item has no mapping for key '{key}'"), ctx));
    };
    if val.is_null() {
        if can_be_empty {
            return Ok(None);
        }
        return Err(fail(format!("Mapping for key '{key}' is empty"), ctx));
    }
    let vctx = node_ctx(ctx, val);
    let Some(text) = val.scalar_text() else {
        return Err(fail("Value is not a scalar value", &vctx));
    };
    if text.is_empty() {
        if can_be_empty {
            return Ok(None);
        }
        return Err(fail("Value must be non-empty", &vctx));
    }
    Ok(Some((text, vctx)))
}

fn required_text(item: &Node, key: &str, ctx: &Context) -> Result<(String, Context), Failure> {
    decode_text(item, key, ctx, false, false)?
        .ok_or_else(|| fail(format!("Item has no mapping for key '{key}'"), ctx))
}

fn optional_text(item: &Node, key: &str, ctx: &Context) -> Result<Option<String>, Failure> {
    Ok(decode_text(item, key, ctx, true, false)?.map(|(t, _)| t))
}

/// YAML 1.1 booleans, as yaml-cpp decodes them.
fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Some(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Some(false)
        }
        _ => None,
    }
}

fn decode_bool(
    item: &Node,
    key: &str,
    ctx: &Context,
    optional: bool,
) -> Result<Option<bool>, Failure> {
    let Some((text, vctx)) = decode_text(item, key, ctx, optional, false)? else {
        return Ok(None);
    };
    parse_bool(&text)
        .map(Some)
        .ok_or_else(|| fail("Can't decode YAML scalar value", &vctx))
}

fn decode_u64(
    item: &Node,
    key: &str,
    ctx: &Context,
    optional: bool,
) -> Result<Option<u64>, Failure> {
    let Some((text, vctx)) = decode_text(item, key, ctx, optional, false)? else {
        return Ok(None);
    };
    text.trim()
        .parse::<u64>()
        .map(Some)
        .map_err(|_| fail("Can't decode YAML scalar value", &vctx))
}

/// A sequence of scalars under `key` (`items`, `tags`).
fn decode_seq(
    item: &Node,
    key: &str,
    ctx: &Context,
    optional: bool,
) -> Result<Option<Vec<String>>, Failure> {
    let Some(val) = item.get(key) else {
        if optional {
            return Ok(None);
        }
        return Err(fail(format!("Item has no mapping for key '{key}'"), ctx));
    };
    let vctx = node_ctx(ctx, val);
    let Some(items) = val.items() else {
        return Err(fail("Value is not a sequence", &vctx));
    };
    let mut out = Vec::with_capacity(items.len());
    for v in items {
        match v.scalar_text() {
            Some(text) => out.push(text),
            None => return Err(fail("sequence value is not scalar", &node_ctx(ctx, v))),
        }
    }
    Ok(Some(out))
}

fn decode_tags(item: &Node, ctx: &Context) -> Result<Option<BTreeSet<String>>, Failure> {
    Ok(decode_seq(item, "tags", ctx, true)?.map(|v| v.into_iter().collect()))
}

fn decode_priority(item: &Node, ctx: &Context) -> Result<Severity, Failure> {
    let (text, _) = required_text(item, "priority", ctx)?;
    let pctx = item
        .get("priority")
        .map_or_else(|| ctx.clone(), |n| node_ctx(ctx, n));
    parse_priority(&text).ok_or_else(|| fail("Invalid priority", &pctx))
}

/// Falco's priority names, case-insensitive, with `info` for informational.
fn parse_priority(text: &str) -> Option<Severity> {
    if text.trim() != text {
        return None;
    }
    Severity::from_falco_priority(text).ok()
}

/// The `override` mapping: keys to append and keys to replace.
fn decode_overrides(
    item: &Node,
    appendable: &[&str],
    replaceable: &[&str],
    ctx: &Context,
) -> Result<(BTreeSet<String>, BTreeSet<String>), Failure> {
    let mut append = BTreeSet::new();
    let mut replace = BTreeSet::new();
    let Some(entries) = item.get("override").and_then(Node::entries) else {
        return Ok((append, replace));
    };
    for (k, v) in entries {
        let key = k.scalar_text().unwrap_or_default();
        let operation = v.scalar_text().unwrap_or_default();
        let can_append = appendable.contains(&key.as_str());
        let can_replace = replaceable.contains(&key.as_str());
        match operation.as_str() {
            "append" => {
                if !can_append {
                    return Err(fail(
                        format!("Key '{key}' cannot be appended to, use 'replace' instead"),
                        &node_ctx(ctx, k),
                    ));
                }
                append.insert(key);
            }
            "replace" => {
                if !can_replace {
                    return Err(fail(
                        format!("Key '{key}' cannot be replaced"),
                        &node_ctx(ctx, k),
                    ));
                }
                replace.insert(key);
            }
            _ => {
                let mut msg = format!(
                    "Invalid override operation for key '{key}': '{operation}'. Allowed values are: "
                );
                if can_append {
                    msg.push_str("append ");
                }
                if can_replace {
                    msg.push_str("replace ");
                }
                return Err(fail(msg, &node_ctx(ctx, v)));
            }
        }
    }
    Ok((append, replace))
}

/// One exception entry (`fields`, `comps`, or one value).
fn decode_entry(val: &Node, ctx: &Context) -> Result<Entry, Failure> {
    let vctx = node_ctx(ctx, val);
    if let Some(items) = val.items() {
        let mut entry = Entry {
            is_list: true,
            ..Entry::default()
        };
        for v in items {
            entry.items.push(decode_entry(v, &vctx)?);
        }
        return Ok(entry);
    }
    match val.scalar_text() {
        Some(text) if text.is_empty() => Err(fail("Value must be non-empty", &vctx)),
        Some(text) => Ok(Entry::scalar(text)),
        None => Ok(Entry::default()),
    }
}

const RULE_APPENDABLE: [&str; 5] = ["condition", "output", "desc", "tags", "exceptions"];
const RULE_REPLACEABLE: [&str; 11] = [
    "condition",
    "output",
    "desc",
    "priority",
    "capture",
    "capture_duration",
    "tags",
    "exceptions",
    "enabled",
    "warn_evttypes",
    "skip-if-unknown-filter",
];
const RULE_KEYS: [&str; 15] = [
    "rule",
    "condition",
    "output",
    "desc",
    "priority",
    "source",
    "enabled",
    "capture",
    "capture_duration",
    "warn_evttypes",
    "skip-if-unknown-filter",
    "tags",
    "exceptions",
    "override",
    "append",
];

impl Reader<'_, '_, '_> {
    fn warn(&mut self, code: &'static str, message: impl Into<String>, ctx: &Context) {
        self.sink.warn(code, message, ctx);
    }

    fn warn_unknown_keys(&mut self, item: &Node, expected: &[&str], ctx: &Context) {
        for (k, _) in item.entries().unwrap_or_default() {
            let key = k.scalar_text().unwrap_or_default();
            if !expected.contains(&key.as_str()) {
                self.warn(
                    "LOAD_UNKNOWN_KEY",
                    format!("Unknown key '{key}'. The key will be ignored."),
                    ctx,
                );
            }
        }
    }

    fn read_item(&mut self, item: &Node, parent: &Context) -> Result<(), Failure> {
        if item.entries().is_none() {
            return Err(fail(
                "Unexpected element type. Each element should be a yaml associative array.",
                &ctx_of(parent, item, ItemKind::Item, ""),
            ));
        }
        if item.get("required_engine_version").is_some() {
            self.read_engine_version(item, parent)
        } else if let Some(reqs) = item.get("required_plugin_versions") {
            self.read_plugin_versions(item, reqs, parent)
        } else if item.get("list").is_some() {
            self.read_list(item, parent)
        } else if item.get("macro").is_some() {
            self.read_macro(item, parent)
        } else if item.get("rule").is_some() {
            self.read_rule(item, parent)
        } else {
            let ctx = ctx_of(parent, item, ItemKind::Item, "");
            self.warn("LOAD_UNKNOWN_ITEM", "Unknown top level item", &ctx);
            Ok(())
        }
    }

    fn read_engine_version(&mut self, item: &Node, parent: &Context) -> Result<(), Failure> {
        let ctx = ctx_of(parent, item, ItemKind::RequiredEngineVersion, "");
        let (text, _) = required_text(item, "required_engine_version", &ctx)?;
        let version = match text.trim().parse::<u32>() {
            Ok(minor) => (0, minor, 0),
            Err(_) => parse_semver(&text).ok_or_else(|| {
                fail(
                    format!(
                        "Unable to parse engine version '{text}' as a semver string. Expected \"x.y.z\" semver format."
                    ),
                    &ctx,
                )
            })?,
        };
        self.collector.require_engine(version, &ctx)?;
        self.warn_unknown_keys(item, &["required_engine_version"], &ctx);
        Ok(())
    }

    fn read_plugin_versions(
        &mut self,
        item: &Node,
        reqs: &Node,
        parent: &Context,
    ) -> Result<(), Failure> {
        let ctx = ctx_of(parent, reqs, ItemKind::RequiredPluginVersions, "");
        let Some(entries) = reqs.items() else {
            return Err(fail(
                "Value of required_plugin_versions must be a sequence",
                &ctx,
            ));
        };
        for plugin in entries {
            let tmp = node_ctx(&ctx, plugin);
            if plugin.entries().is_none() {
                return Err(fail("Plugin version must be a mapping", &tmp));
            }
            let (name, _) = required_text(plugin, "name", &tmp)?;
            let pctx = Context {
                name: name.clone(),
                ..tmp
            };
            let (version, _) = required_text(plugin, "version", &pctx)?;
            let mut alternatives = vec![(name, version)];
            if let Some(alts) = plugin.get("alternatives") {
                let Some(alts) = alts.items() else {
                    return Err(fail(
                        "Value of plugin version alternatives must be a sequence",
                        &pctx,
                    ));
                };
                for alt in alts {
                    let actx = node_ctx(&pctx, alt);
                    if alt.entries().is_none() {
                        return Err(fail("Plugin version alternative must be a mapping", &actx));
                    }
                    let (name, _) = required_text(alt, "name", &actx)?;
                    let (version, _) = required_text(alt, "version", &actx)?;
                    alternatives.push((name, version));
                }
            }
            self.collector.require_plugin(alternatives, &pctx)?;
        }
        let ictx = ctx_of(parent, item, ItemKind::RequiredPluginVersions, "");
        self.warn_unknown_keys(item, &["required_plugin_versions"], &ictx);
        Ok(())
    }

    fn read_list(&mut self, item: &Node, parent: &Context) -> Result<(), Failure> {
        let tmp = ctx_of(parent, item, ItemKind::List, "");
        let (name, _) = required_text(item, "list", &tmp)?;
        let ctx = ctx_of(parent, item, ItemKind::List, &name);
        if !is_bare_string(&name) {
            self.warn(
                "LOAD_INVALID_LIST_NAME",
                "List has an invalid name. List names should match a regular expression: ([^()\"'[:space:]=,]+)",
                &ctx,
            );
        }
        let items = decode_seq(item, "items", &ctx, false)?.unwrap_or_default();
        let append_flag = decode_bool(item, "append", &ctx, true)?.unwrap_or(false);
        if append_flag {
            self.warn("LOAD_DEPRECATED_ITEM", WARNING_APPEND, &ctx);
        }
        let (append, replace) = decode_overrides(item, &["items"], &["items"], &ctx)?;
        if append_flag && !(append.is_empty() && replace.is_empty()) {
            return Err(fail(ERROR_OVERRIDE_APPEND, &ctx));
        }
        if append_flag || append.contains("items") {
            self.collector.append_list(&name, items, &ctx)?;
        } else {
            self.collector.define_list(name, items, ctx.clone());
        }
        self.warn_unknown_keys(item, &["list", "items", "append", "override"], &ctx);
        Ok(())
    }

    fn read_macro(&mut self, item: &Node, parent: &Context) -> Result<(), Failure> {
        let tmp = ctx_of(parent, item, ItemKind::Macro, "");
        let (name, _) = required_text(item, "macro", &tmp)?;
        let ctx = ctx_of(parent, item, ItemKind::Macro, &name);
        if !is_identifier(&name) {
            self.warn(
                "LOAD_INVALID_MACRO_NAME",
                "Macro has an invalid name. Macro names should match a regular expression: ([a-zA-Z]+[a-zA-Z0-9_]*)",
                &ctx,
            );
        }
        let (cond, cond_ctx) = required_text(item, "condition", &ctx)?;
        let append_flag = decode_bool(item, "append", &ctx, true)?.unwrap_or(false);
        if append_flag {
            self.warn("LOAD_DEPRECATED_ITEM", WARNING_APPEND, &ctx);
        }
        let (append, replace) = decode_overrides(item, &["condition"], &["condition"], &ctx)?;
        if append_flag && !(append.is_empty() && replace.is_empty()) {
            return Err(fail(ERROR_OVERRIDE_APPEND, &ctx));
        }
        if append_flag || append.contains("condition") {
            self.collector.append_macro(&name, &cond, &ctx)?;
        } else {
            self.collector
                .define_macro(name, cond, ctx.clone(), cond_ctx);
        }
        self.warn_unknown_keys(item, &["macro", "condition", "append", "override"], &ctx);
        Ok(())
    }

    fn read_exceptions(
        &mut self,
        item: &Node,
        ctx: &Context,
        append: bool,
    ) -> Result<Vec<ExceptionInfo>, Failure> {
        let mut out: Vec<ExceptionInfo> = Vec::new();
        let Some(exs) = item.get("exceptions").filter(|n| !n.is_null()) else {
            return Ok(out);
        };
        let exes_ctx = node_ctx(ctx, exs);
        let Some(list) = exs.items() else {
            return Err(fail("Rule exceptions must be a sequence", &exes_ctx));
        };
        for ex in list {
            let tmp = Context {
                kind: ItemKind::Exception,
                name: String::new(),
                ..node_ctx(ctx, ex)
            };
            if ex.entries().is_none() {
                return Err(fail("Rule exception must be a mapping", &tmp));
            }
            let (name, _) = required_text(ex, "name", &tmp)?;
            let ex_ctx = Context {
                name: name.clone(),
                ..tmp
            };
            if out.iter().any(|e| e.name == name) {
                self.warn(
                    "LOAD_EXCEPTION_NAME_NOT_UNIQUE",
                    format!("Multiple definitions of exception '{name}' in the same rule"),
                    &ex_ctx,
                );
            }
            let fields = match ex.get("fields") {
                Some(f) => decode_entry(f, &ex_ctx)?,
                None if append => Entry::default(),
                None => return Err(fail("Item has no mapping for key 'fields'", &ex_ctx)),
            };
            let comps = match ex.get("comps") {
                Some(c) => decode_entry(c, &ex_ctx)?,
                None => Entry::default(),
            };
            let mut values = Vec::new();
            match ex.get("values") {
                Some(vals) => {
                    let Some(vals) = vals.items() else {
                        return Err(fail(
                            "Rule exception values must be a sequence",
                            &node_ctx(&ex_ctx, vals),
                        ));
                    };
                    for v in vals {
                        values.push(decode_entry(v, &ex_ctx)?);
                    }
                }
                None if append => self.warn(
                    "LOAD_APPEND_NO_VALUES",
                    "Overriding/appending exception with no values",
                    &ex_ctx,
                ),
                None => {}
            }
            out.push(ExceptionInfo {
                name,
                fields,
                comps,
                values,
                ctx: ex_ctx,
            });
        }
        Ok(out)
    }

    fn read_rule(&mut self, item: &Node, parent: &Context) -> Result<(), Failure> {
        let tmp = ctx_of(parent, item, ItemKind::Rule, "");
        let (name, _) = required_text(item, "rule", &tmp)?;
        let ctx = ctx_of(parent, item, ItemKind::Rule, &name);
        let source = decode_text(item, "source", &ctx, true, true)?
            .map(|(t, _)| t)
            .unwrap_or_default();
        let append_flag = decode_bool(item, "append", &ctx, true)?.unwrap_or(false);
        if append_flag {
            self.warn("LOAD_DEPRECATED_ITEM", WARNING_APPEND, &ctx);
        }
        let (append, replace) = decode_overrides(item, &RULE_APPENDABLE, &RULE_REPLACEABLE, &ctx)?;
        let has_overrides = !append.is_empty() || !replace.is_empty();
        if append_flag && has_overrides {
            return Err(fail(ERROR_OVERRIDE_APPEND, &ctx));
        }
        if has_overrides {
            self.read_rule_overrides(item, &name, &source, &append, &replace, &ctx)?;
        } else if append_flag {
            let mut update = RuleUpdate {
                name: name.clone(),
                source,
                ..RuleUpdate::default()
            };
            if item.get("condition").is_some() {
                let (cond, cond_ctx) = required_text(item, "condition", &ctx)?;
                update.cond = Some(cond);
                update.cond_ctx = Some(cond_ctx);
            }
            if item.get("exceptions").is_some() {
                update.exceptions = Some(self.read_exceptions(item, &ctx, true)?);
            }
            self.collector.append_rule(update, self.checker, &ctx)?;
        } else if ["condition", "output", "desc", "priority"]
            .iter()
            .all(|k| item.get(k).is_none())
        {
            let enabled = decode_bool(item, "enabled", &ctx, false)?.unwrap_or(true);
            self.warn("LOAD_DEPRECATED_ITEM", WARNING_ENABLED, &ctx);
            self.collector.enable_rule(&name, enabled, &ctx)?;
        } else {
            let (cond, cond_ctx) = required_text(item, "condition", &ctx)?;
            let (output, output_ctx) = required_text(item, "output", &ctx)?;
            let (desc, _) = required_text(item, "desc", &ctx)?;
            let priority = decode_priority(item, &ctx)?;
            let source =
                optional_text(item, "source", &ctx)?.unwrap_or_else(|| "syscall".to_owned());
            let info = RuleInfo {
                name: name.clone(),
                cond,
                output: output.trim().to_owned(),
                desc,
                priority,
                source,
                enabled: decode_bool(item, "enabled", &ctx, true)?.unwrap_or(true),
                capture: decode_bool(item, "capture", &ctx, true)?.unwrap_or(false),
                capture_duration: decode_u64(item, "capture_duration", &ctx, true)?.unwrap_or(0),
                warn_evttypes: decode_bool(item, "warn_evttypes", &ctx, true)?.unwrap_or(true),
                skip_if_unknown_filter: decode_bool(item, "skip-if-unknown-filter", &ctx, true)?
                    .unwrap_or(false),
                tags: decode_tags(item, &ctx)?.unwrap_or_default(),
                exceptions: self.read_exceptions(item, &ctx, false)?,
                unknown_source: false,
                ctx: ctx.clone(),
                cond_ctx,
                output_ctx,
                index: 0,
                visibility: 0,
            };
            let sink = &mut *self.sink;
            let mut warn = |code, message: String, c: &Context| sink.warn(code, message, c);
            self.collector.define_rule(info, self.checker, &mut warn)?;
        }
        self.warn_unknown_keys(item, &RULE_KEYS, &ctx);
        Ok(())
    }

    fn read_rule_overrides(
        &mut self,
        item: &Node,
        name: &str,
        source: &str,
        append: &BTreeSet<String>,
        replace: &BTreeSet<String>,
        ctx: &Context,
    ) -> Result<(), Failure> {
        // expected = (appendable ∪ replaceable) ∩ defined
        let mut expected: BTreeSet<&str> = RULE_APPENDABLE
            .iter()
            .chain(RULE_REPLACEABLE.iter())
            .copied()
            .filter(|k| item.get(k).is_some())
            .collect();
        let mut take = |set: &BTreeSet<String>,
                        kind: &str,
                        key: &'static str|
         -> Result<bool, Failure> {
            if !set.contains(key) {
                return Ok(false);
            }
            if !expected.remove(key) {
                return Err(fail(
                    format!(
                        "An {kind} override for '{key}' was specified but '{key}' is not defined"
                    ),
                    ctx,
                ));
            }
            Ok(true)
        };
        if !append.is_empty() {
            let mut update = RuleUpdate {
                name: name.to_owned(),
                ..RuleUpdate::default()
            };
            if take(append, "append", "condition")? {
                update.source = source.to_owned();
                let (cond, cond_ctx) = required_text(item, "condition", ctx)?;
                update.cond = Some(cond);
                update.cond_ctx = Some(cond_ctx);
            }
            let exceptions = take(append, "append", "exceptions")?;
            if take(append, "append", "output")? {
                update.output = Some(required_text(item, "output", ctx)?.0);
            }
            if take(append, "append", "desc")? {
                update.desc = Some(required_text(item, "desc", ctx)?.0);
            }
            if take(append, "append", "tags")? {
                update.tags = decode_tags(item, ctx)?;
            }
            if exceptions {
                update.exceptions = Some(self.read_exceptions(item, ctx, true)?);
            }
            self.collector.append_rule(update, self.checker, ctx)?;
        }
        if !replace.is_empty() {
            let mut update = RuleUpdate {
                name: name.to_owned(),
                ..RuleUpdate::default()
            };
            if take(replace, "replace", "condition")? {
                update.source = source.to_owned();
                let (cond, cond_ctx) = required_text(item, "condition", ctx)?;
                update.cond = Some(cond);
                update.cond_ctx = Some(cond_ctx);
            }
            let exceptions = take(replace, "replace", "exceptions")?;
            if take(replace, "replace", "output")? {
                update.output = Some(required_text(item, "output", ctx)?.0);
            }
            if take(replace, "replace", "desc")? {
                update.desc = Some(required_text(item, "desc", ctx)?.0);
            }
            if take(replace, "replace", "tags")? {
                update.tags = decode_tags(item, ctx)?;
            }
            if take(replace, "replace", "priority")? {
                update.priority = Some(decode_priority(item, ctx)?);
            }
            if take(replace, "replace", "capture")? {
                update.capture = decode_bool(item, "capture", ctx, false)?;
            }
            if take(replace, "replace", "capture_duration")? {
                update.capture_duration = decode_u64(item, "capture_duration", ctx, false)?;
            }
            if take(replace, "replace", "enabled")? {
                update.enabled = decode_bool(item, "enabled", ctx, false)?;
            }
            if take(replace, "replace", "warn_evttypes")? {
                update.warn_evttypes = decode_bool(item, "warn_evttypes", ctx, false)?;
            }
            if take(replace, "replace", "skip-if-unknown-filter")? {
                update.skip_if_unknown_filter =
                    decode_bool(item, "skip-if-unknown-filter", ctx, false)?;
            }
            if exceptions {
                update.exceptions = Some(self.read_exceptions(item, ctx, false)?);
            }
            self.collector.replace_rule(update, ctx)?;
        }
        if let Some(key) = expected.into_iter().next() {
            let kctx = item
                .get(key)
                .map_or_else(|| ctx.clone(), |n| node_ctx(ctx, n));
            return Err(fail(
                format!(
                    "Unexpected key '{key}': no corresponding entry under 'override' is defined."
                ),
                &kctx,
            ));
        }
        Ok(())
    }
}

/// Falco's list-name pattern `[^()"'[:space:]=,]+`.
fn is_bare_string(name: &str) -> bool {
    !name.is_empty()
        && !name.chars().any(|c| {
            matches!(
                c,
                '(' | ')' | '"' | '\'' | '=' | ',' | ' ' | '\t' | '\n' | '\u{b}' | '\u{c}' | '\r'
            )
        })
}

/// Falco's macro-name pattern `[a-zA-Z]+[a-zA-Z0-9_]*`.
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
