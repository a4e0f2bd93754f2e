//! Compiling the collected items: lists expanded, list names substituted
//! into condition text, exceptions appended, conditions parsed, macros
//! expanded, and each rule checked by the [`ConditionChecker`] — in the
//! order and with the messages of Falco's `rule_loader::compiler`.

use std::collections::{BTreeSet, HashMap};

use crate::ast::{Expr, Operand, Pos, Rhs, TransformArg};
use crate::parser;

use super::collector::{Collector, ExceptionInfo};
use super::operators::is_list_comp;
use super::{ConditionChecker, Context, Failure, List, Loaded, Macro, Rule, Sink};

const COMPILE_CONDITION: &str = "LOAD_ERR_COMPILE_CONDITION";
const VALIDATE: &str = "LOAD_ERR_VALIDATE";

/// How deep a condition may nest once macros are expanded.
pub const MAX_RESOLVED_DEPTH: usize = 500;

/// How many items one list may hold once the lists it names are expanded
/// (a list of many references to a long list would otherwise multiply).
pub const MAX_LIST_ITEMS: usize = 100_000;

/// Fields Falco reports as deprecated, with the description it gives.
const DEPRECATED_FIELDS: [(&str, &str); 6] = [
    (
        "evt.dir",
        "due to the drop of enter events, 'evt.dir = <' always evaluates to true, and 'evt.dir = >' always evaluates to false. The rule expression can be simplified by removing the condition on 'evt.dir'",
    ),
    ("evt.latency", LATENCY_DESC),
    ("evt.latency.s", LATENCY_DESC),
    ("evt.latency.ns", LATENCY_DESC),
    ("evt.latency.human", LATENCY_DESC),
    ("evt.wait_latency", LATENCY_DESC),
];
const LATENCY_DESC: &str = "field is not available due to the drop of enter events.";
const UNSAFE_NA_DESC: &str = "Comparing a field value with <NA> is unsafe and can lead to unpredictable behavior of the rule condition. If you need to check for the existence of a field, consider using the 'exists' operator instead.";

/// Compiles everything; on the first error, records it and leaves no rules.
pub(crate) fn compile(
    collector: &Collector,
    checker: &dyn ConditionChecker,
    sink: &mut Sink<'_>,
    loaded: &mut Loaded,
) {
    let mut state = State {
        collector,
        checker,
        list_used: vec![false; collector.lists.len()],
        macro_used: vec![false; collector.macros.len()],
        lists: Vec::new(),
        list_table: ListTable::default(),
        macros: Vec::new(),
    };
    match state.run(sink, loaded) {
        Ok(()) => {
            for (info, used) in collector.macros.iter().zip(&state.macro_used) {
                if !used {
                    sink.warn(
                        "LOAD_UNUSED_MACRO",
                        "Macro not referred to by any other rule/macro",
                        &info.ctx,
                    );
                }
            }
            for (info, used) in collector.lists.iter().zip(&state.list_used) {
                if !used {
                    sink.warn(
                        "LOAD_UNUSED_LIST",
                        "List not referred to by any other rule/macro",
                        &info.ctx,
                    );
                }
            }
        }
        Err(failure) => {
            loaded.rules.clear();
            sink.error(failure);
        }
    }
    loaded.lists = state.lists;
    loaded.macros = state.macros;
}

struct State<'a> {
    collector: &'a Collector,
    checker: &'a dyn ConditionChecker,
    list_used: Vec<bool>,
    macro_used: Vec<bool>,
    lists: Vec<List>,
    list_table: ListTable,
    macros: Vec<Macro>,
}

impl State<'_> {
    fn run(&mut self, sink: &mut Sink<'_>, loaded: &mut Loaded) -> Result<(), Failure> {
        self.compile_lists()?;
        self.compile_macros()?;
        self.compile_rules(sink, loaded)
    }

    /// A list item naming a list defined before it is replaced by that
    /// list's items (one level, as Falco does).
    fn compile_lists(&mut self) -> Result<(), Failure> {
        let infos = &self.collector.lists;
        for info in infos {
            let mut items = Vec::with_capacity(info.items.len());
            for item in &info.items {
                match infos
                    .iter()
                    .position(|l| &l.name == item && l.index < info.visibility)
                {
                    Some(i) => {
                        if let Some(used) = self.list_used.get_mut(i) {
                            *used = true;
                        }
                        items.extend(infos.get(i).map(|l| l.items.clone()).unwrap_or_default());
                    }
                    None => items.push(item.clone()),
                }
                if items.len() > MAX_LIST_ITEMS {
                    return Err(Failure::new(
                        VALIDATE,
                        format!("list has more than {MAX_LIST_ITEMS} items once expanded"),
                        &info.ctx,
                    ));
                }
            }
            self.lists.push(List {
                name: info.name.clone(),
                items,
            });
        }
        self.list_table = ListTable::new(&self.lists);
        Ok(())
    }

    /// Substitutes every list into `text`, marking the lists used.
    fn substitute(&mut self, text: &str) -> String {
        let (out, used) = self.list_table.substitute(text, &self.lists);
        for i in used {
            if let Some(u) = self.list_used.get_mut(i) {
                *u = true;
            }
        }
        out
    }

    fn parse_condition(&mut self, text: &str, ctx: &Context) -> Result<(String, Expr), Failure> {
        let substituted = self.substitute(text);
        match parser::parse(&substituted) {
            Ok(expr) => Ok((substituted, expr)),
            Err(e) => {
                let message = match &e {
                    parser::ParseError::Syntax(s) => s.message.clone(),
                    parser::ParseError::Escape(s) => s.message.clone(),
                    other => other.to_string(),
                };
                Err(Failure::new(
                    COMPILE_CONDITION,
                    message,
                    &ctx.within(&substituted, e.pos()),
                ))
            }
        }
    }

    fn compile_macros(&mut self) -> Result<(), Failure> {
        let infos = &self.collector.macros;
        for info in infos {
            let (_, condition) = self.parse_condition(&info.cond, &info.cond_ctx)?;
            self.macros.push(Macro {
                name: info.name.clone(),
                condition,
            });
        }
        let by_name: HashMap<&str, usize> = infos
            .iter()
            .enumerate()
            .map(|(k, m)| (m.name.as_str(), k))
            .collect();
        let indexes: Vec<usize> = infos.iter().map(|m| m.index).collect();
        for (i, info) in infos.iter().enumerate() {
            let Some(current) = self.macros.get(i).map(|m| m.condition.clone()) else {
                continue;
            };
            let table = MacroTable {
                by_name: &by_name,
                macros: &self.macros,
                indexes: &indexes,
                visibility: info.visibility,
            };
            let (result, used) = resolve(&current, &table, &info.cond, &info.cond_ctx, &info.ctx);
            self.mark_macros_used(&used);
            let resolved = result?;
            if let Some(m) = self.macros.get_mut(i) {
                m.condition = resolved;
            }
        }
        Ok(())
    }

    fn mark_macros_used(&mut self, used: &BTreeSet<usize>) {
        for &k in used {
            if let Some(u) = self.macro_used.get_mut(k) {
                *u = true;
            }
        }
    }

    fn compile_rules(&mut self, sink: &mut Sink<'_>, loaded: &mut Loaded) -> Result<(), Failure> {
        let macros = std::mem::take(&mut self.macros);
        let result = {
            let by_name: HashMap<&str, usize> = macros
                .iter()
                .enumerate()
                .map(|(k, m)| (m.name.as_str(), k))
                .collect();
            let indexes = vec![0; macros.len()];
            let table = MacroTable {
                by_name: &by_name,
                macros: &macros,
                indexes: &indexes,
                visibility: usize::MAX,
            };
            self.compile_rules_with(&table, sink, loaded)
        };
        self.macros = macros;
        result
    }

    fn compile_rules_with(
        &mut self,
        table: &MacroTable<'_>,
        sink: &mut Sink<'_>,
        loaded: &mut Loaded,
    ) -> Result<(), Failure> {
        for info in &self.collector.rules {
            if info.unknown_source {
                continue;
            }
            let mut condition = info.cond.clone();
            let mut exception_fields = BTreeSet::new();
            if !info.exceptions.is_empty() {
                condition = build_exceptions(&info.exceptions, &mut exception_fields, &condition)?;
            }
            let mut output = info.output.clone();
            if output.contains("%container.info") {
                sink.warn(
                    "LOAD_DEPRECATED_ITEM",
                    "%container.info is deprecated and no more useful, and will be dropped by Falco 1.0.0. The container plugin will automatically add required fields to the output message.",
                    &info.ctx,
                );
                output = output.replace("%container.info", "");
            }
            if let Err(message) = check_output(&output, &info.source, self.checker) {
                if info.skip_if_unknown_filter && message.starts_with("unknown filter:") {
                    sink.warn("LOAD_UNKNOWN_FILTER", message, &info.output_ctx);
                    continue;
                }
                return Err(Failure::new(
                    "LOAD_ERR_COMPILE_OUTPUT",
                    message,
                    &info.output_ctx,
                ));
            }
            for (field, _) in DEPRECATED_FIELDS {
                if output.contains(field) {
                    sink.warn(
                        "LOAD_DEPRECATED_ITEM",
                        format!("usage of deprecated field '{field}' has been detected in the rule output"),
                        &info.output_ctx,
                    );
                }
            }
            let (text, parsed) = self.parse_condition(&condition, &info.cond_ctx)?;
            let (result, used) = resolve(&parsed, table, &text, &info.cond_ctx, &info.ctx);
            self.mark_macros_used(&used);
            let resolved = result?;
            let cond_ctx = Context {
                kind: info.ctx.kind,
                name: info.name.clone(),
                ..info.cond_ctx.clone()
            };
            warn_condition(&resolved, &cond_ctx, sink);
            match self.checker.check(&info.source, &resolved) {
                Ok(warnings) => {
                    for w in warnings {
                        let ctx = w
                            .pos
                            .map_or_else(|| cond_ctx.clone(), |p| cond_ctx.within(&text, p));
                        sink.warn("LOAD_COMPILE_CONDITION", w.message, &ctx);
                    }
                }
                Err(e) => {
                    let ctx = e
                        .pos
                        .map_or_else(|| cond_ctx.clone(), |p| cond_ctx.within(&text, p));
                    if e.unknown_field && info.skip_if_unknown_filter {
                        sink.warn("LOAD_UNKNOWN_FILTER", e.message, &ctx);
                        continue;
                    }
                    return Err(Failure::new(COMPILE_CONDITION, e.message, &ctx));
                }
            }
            if info.source == "syscall"
                && info.warn_evttypes
                && self
                    .checker
                    .event_type_count(&info.source, &resolved)
                    .is_some_and(|n| n > 100)
            {
                sink.warn(
                    "LOAD_NO_EVTTYPE",
                    "Rule matches too many evt.type values. This has a significant performance penalty.",
                    &info.ctx,
                );
            }
            loaded.rules.push(Rule {
                name: info.name.clone(),
                condition: resolved,
                source_condition: info.cond.clone(),
                output,
                desc: info.desc.clone(),
                priority: info.priority,
                source: info.source.clone(),
                enabled: info.enabled,
                tags: info.tags.clone(),
                capture: info.capture,
                capture_duration: info.capture_duration,
                warn_evttypes: info.warn_evttypes,
                skip_if_unknown_filter: info.skip_if_unknown_filter,
                exception_fields,
                context: info.ctx.clone(),
                condition_context: info.cond_ctx.clone(),
            });
        }
        Ok(())
    }
}

/// The macros a condition may use: those defined before `visibility`.
struct MacroTable<'m> {
    by_name: &'m HashMap<&'m str, usize>,
    macros: &'m [Macro],
    indexes: &'m [usize],
    visibility: usize,
}

impl<'m> MacroTable<'m> {
    fn get(&self, name: &str) -> Option<(usize, &'m Expr)> {
        let &k = self.by_name.get(name)?;
        if *self.indexes.get(k)? >= self.visibility {
            return None;
        }
        self.macros.get(k).map(|m| (k, &m.condition))
    }
}

/// Expands macros in `expr`, reporting Falco's errors; also returns the
/// macros used.
fn resolve(
    expr: &Expr,
    table: &MacroTable<'_>,
    text: &str,
    cond_ctx: &Context,
    item_ctx: &Context,
) -> (Result<Expr, Failure>, BTreeSet<usize>) {
    let mut resolver = Resolver {
        table,
        path: Vec::new(),
        errors: Vec::new(),
        unknown: Vec::new(),
        resolved: BTreeSet::new(),
        depth: 0,
    };
    let out = resolver.expand(expr);
    let used = std::mem::take(&mut resolver.resolved);
    if let Some((message, pos)) = resolver.errors.first().cloned().or_else(|| {
        resolver
            .unknown
            .first()
            .map(|(name, pos)| (format!("Undefined macro '{name}' used in filter."), *pos))
    }) {
        let ctx = Context {
            kind: item_ctx.kind,
            name: item_ctx.name.clone(),
            ..cond_ctx.within(text, pos)
        };
        return (Err(Failure::new(VALIDATE, message, &ctx)), used);
    }
    if depth(&out) > MAX_RESOLVED_DEPTH {
        let failure = Failure::new(
            COMPILE_CONDITION,
            format!(
                "condition nests deeper than {MAX_RESOLVED_DEPTH} levels once macros are expanded"
            ),
            cond_ctx,
        );
        return (Err(failure), used);
    }
    (Ok(out), used)
}

/// Checks an output format the way libsinsp's formatter reads it: after
/// each `%` (and an optional width) comes a field or transformer; like
/// libsinsp, the longest prefix that is a valid field is taken, so
/// `%proc.name:` or `%proc.name_x` use `proc.name`.
fn check_output(output: &str, source: &str, checker: &dyn ConditionChecker) -> Result<(), String> {
    let bytes = output.as_bytes();
    let mut j = usize::from(bytes.first() == Some(&b'*'));
    while j < bytes.len() {
        if bytes.get(j) != Some(&b'%') {
            j += 1;
            continue;
        }
        j += 1;
        if j >= bytes.len() {
            return Err("invalid formatting syntax: formatting cannot end with a %".to_owned());
        }
        while bytes.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        if j >= bytes.len() {
            return Err(
                "invalid formatting syntax: formatting cannot end with a number".to_owned(),
            );
        }
        let token = field_token(output.get(j..).unwrap_or_default());
        let found = (1..=token.len())
            .rev()
            .filter(|&n| token.is_char_boundary(n))
            .filter(|&n| {
                token
                    .as_bytes()
                    .get(n - 1)
                    .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b']' | b')'))
            })
            .find(|&n| {
                token
                    .get(..n)
                    .is_some_and(|t| checker.is_valid_field(source, t))
            });
        match found {
            Some(n) => j += n,
            None => {
                return Err(format!(
                    "unknown filter: invalid formatting token `%{}`",
                    if token.is_empty() {
                        output.get(j..).unwrap_or_default()
                    } else {
                        token
                    }
                ));
            }
        }
    }
    Ok(())
}

/// The longest text at the start of `rest` that may be a field or a
/// transformer call: a dotted name, an optional `[argument]`, or a
/// transformer's balanced parentheses (at most 256 bytes).
fn field_token(rest: &str) -> &str {
    let bytes = rest.as_bytes();
    let mut end = 0usize;
    let mut depth = 0usize;
    let mut in_bracket = false;
    while end < bytes.len().min(256) {
        let Some(&b) = bytes.get(end) else { break };
        let ok = match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'.' => true,
            b'[' if !in_bracket => {
                in_bracket = true;
                true
            }
            b']' if in_bracket => {
                in_bracket = false;
                true
            }
            b'(' if !in_bracket => {
                depth += 1;
                true
            }
            b')' if depth > 0 && !in_bracket => {
                depth -= 1;
                true
            }
            b',' | b' ' | b'"' | b'\'' | b'-' | b'/' | b':' if depth > 0 || in_bracket => true,
            _ if in_bracket && !b.is_ascii_whitespace() => true,
            _ => false,
        };
        if !ok {
            break;
        }
        end += 1;
    }
    rest.get(..end).unwrap_or_default()
}

/// Warnings Falco's `filter_warning_resolver` gives: deprecated fields, and
/// `<NA>` compared with `ka.*` / `jevt.*` fields.
fn warn_condition(expr: &Expr, ctx: &Context, sink: &mut Sink<'_>) {
    let mut deprecated = BTreeSet::new();
    let mut unsafe_na = false;
    visit_checks(expr, &mut |op_is_eq, left, right| {
        visit_fields(left, &mut |name| {
            if let Some(i) = DEPRECATED_FIELDS.iter().position(|(f, _)| *f == name) {
                deprecated.insert(i);
            }
        });
        if let Some(right) = right {
            if let Rhs::Operand(o) = right {
                visit_fields(o, &mut |name| {
                    if let Some(i) = DEPRECATED_FIELDS.iter().position(|(f, _)| *f == name) {
                        deprecated.insert(i);
                    }
                });
            }
            let unsafe_field = matches!(left, Operand::Field(f) if f.name.starts_with("ka.") || f.name.starts_with("jevt."));
            if unsafe_field && op_is_eq {
                unsafe_na |= match right {
                    Rhs::Value(v) => v.text == "<NA>",
                    Rhs::List(l) => l.values.iter().any(|v| v == "<NA>"),
                    Rhs::Operand(_) => false,
                };
            }
        }
    });
    if unsafe_na {
        sink.warn("LOAD_UNSAFE_NA_CHECK", UNSAFE_NA_DESC, ctx);
    }
    for i in deprecated {
        if let Some((_, desc)) = DEPRECATED_FIELDS.get(i) {
            sink.warn("LOAD_DEPRECATED_ITEM", *desc, ctx);
        }
    }
}

fn visit_checks(expr: &Expr, f: &mut dyn FnMut(bool, &Operand, Option<&Rhs>)) {
    match expr {
        Expr::And { children, .. } | Expr::Or { children, .. } => {
            for c in children {
                visit_checks(c, f);
            }
        }
        Expr::Not { child, .. } => visit_checks(child, f),
        Expr::Macro { .. } => {}
        Expr::Unary(c) => f(false, &c.left, None),
        Expr::Binary(c) => {
            let eq = c.modifier.is_none()
                && matches!(
                    c.op.as_str(),
                    "=" | "==" | "!=" | "in" | "intersects" | "pmatch"
                );
            f(eq, &c.left, Some(&c.right));
        }
    }
}

fn visit_fields(operand: &Operand, f: &mut dyn FnMut(&str)) {
    match operand {
        Operand::Field(field) => f(&field.name),
        Operand::Transform(t) => {
            for arg in &t.args {
                visit_arg(arg, f);
            }
        }
    }
}

fn visit_arg(arg: &TransformArg, f: &mut dyn FnMut(&str)) {
    match arg {
        TransformArg::Operand(o) => visit_fields(o, f),
        TransformArg::Literal(_) => {}
        TransformArg::List { items, .. } => {
            for i in items {
                visit_arg(i, f);
            }
        }
    }
}

/// The nesting depth of an expression.
fn depth(expr: &Expr) -> usize {
    let mut max = 0usize;
    let mut stack = vec![(expr, 1usize)];
    while let Some((e, d)) = stack.pop() {
        max = max.max(d);
        match e {
            Expr::And { children, .. } | Expr::Or { children, .. } => {
                stack.extend(children.iter().map(|c| (c, d + 1)));
            }
            Expr::Not { child, .. } => stack.push((child, d + 1)),
            _ => {}
        }
    }
    max
}

/// Expands macro references, as Falco's `filter_macro_resolver`.
struct Resolver<'t, 'm> {
    table: &'t MacroTable<'m>,
    path: Vec<usize>,
    errors: Vec<(String, Pos)>,
    unknown: Vec<(String, Pos)>,
    resolved: BTreeSet<usize>,
    /// How deep the expansion currently is (tree levels plus macros).
    depth: usize,
}

impl Resolver<'_, '_> {
    fn expand(&mut self, expr: &Expr) -> Expr {
        if self.depth >= MAX_RESOLVED_DEPTH {
            if self.errors.is_empty() {
                self.errors.push((
                    format!("condition nests deeper than {MAX_RESOLVED_DEPTH} levels once macros are expanded"),
                    expr.pos(),
                ));
            }
            return expr.clone();
        }
        self.depth += 1;
        let out = self.expand_node(expr);
        self.depth -= 1;
        out
    }

    fn expand_node(&mut self, expr: &Expr) -> Expr {
        match expr {
            Expr::And { children, pos } => Expr::And {
                children: children.iter().map(|c| self.expand(c)).collect(),
                pos: *pos,
            },
            Expr::Or { children, pos } => Expr::Or {
                children: children.iter().map(|c| self.expand(c)).collect(),
                pos: *pos,
            },
            Expr::Not { child, pos } => Expr::Not {
                child: Box::new(self.expand(child)),
                pos: *pos,
            },
            Expr::Macro { name, pos } => {
                let Some((k, body)) = self.table.get(name) else {
                    self.unknown.push((name.clone(), *pos));
                    return expr.clone();
                };
                if self.path.contains(&k) {
                    self.errors
                        .push((format!("reference loop in macro '{name}'"), *pos));
                    self.unknown.push((name.clone(), *pos));
                    return expr.clone();
                }
                if self.path.len() >= MAX_RESOLVED_DEPTH {
                    self.errors.push((
                        format!(
                            "macro '{name}' is nested more than {MAX_RESOLVED_DEPTH} levels deep"
                        ),
                        *pos,
                    ));
                    return expr.clone();
                }
                self.path.push(k);
                let out = self.expand(body);
                self.path.pop();
                self.resolved.insert(k);
                out
            }
            Expr::Unary(_) | Expr::Binary(_) => expr.clone(),
        }
    }
}

/// Expands macros in `expr` with `macros` (name, resolved condition).
/// Errors are Falco's: a reference loop, or an undefined macro.
pub fn expand_macros(expr: &Expr, macros: &[(&str, &Expr)]) -> Result<Expr, (String, Pos)> {
    let owned: Vec<Macro> = macros
        .iter()
        .map(|(name, condition)| Macro {
            name: (*name).to_owned(),
            condition: (*condition).clone(),
        })
        .collect();
    let by_name: HashMap<&str, usize> = owned
        .iter()
        .enumerate()
        .map(|(k, m)| (m.name.as_str(), k))
        .collect();
    let indexes = vec![0; owned.len()];
    let table = MacroTable {
        by_name: &by_name,
        macros: &owned,
        indexes: &indexes,
        visibility: usize::MAX,
    };
    let mut resolver = Resolver {
        table: &table,
        path: Vec::new(),
        errors: Vec::new(),
        unknown: Vec::new(),
        resolved: BTreeSet::new(),
        depth: 0,
    };
    let out = resolver.expand(expr);
    if let Some(e) = resolver.errors.into_iter().next() {
        return Err(e);
    }
    if let Some((name, pos)) = resolver.unknown.into_iter().next() {
        return Err((format!("Undefined macro '{name}' used in filter."), pos));
    }
    Ok(out)
}

/// Falco's `quote_item`: wraps an item holding a space in double quotes,
/// unless it already starts with a quote.
fn quote_item(item: &str) -> String {
    if item.contains(' ') && !item.starts_with('"') && !item.starts_with('\'') {
        format!("\"{item}\"")
    } else {
        item.to_owned()
    }
}

/// Falco's `paren_item`: wraps an item in parentheses unless it starts with one.
fn paren_item(item: &str) -> String {
    if item.starts_with('(') {
        item.to_owned()
    } else {
        format!("({item})")
    }
}

/// Substitutes list names in condition text the way Falco's `resolve_list`
/// does: every occurrence of a list name delimited by blanks, `(`, `)`,
/// `,`, `=` or the ends is replaced by the items joined with `, ` (items
/// holding a space double-quoted). Returns the text and the indexes of the
/// lists used.
pub fn substitute_lists(text: &str, lists: &[(&str, &[String])]) -> (String, Vec<usize>) {
    let owned: Vec<List> = lists
        .iter()
        .map(|(name, items)| List {
            name: (*name).to_owned(),
            items: items.to_vec(),
        })
        .collect();
    ListTable::new(&owned).substitute(text, &owned)
}

/// The characters that delimit a list name in condition text.
const LIST_DELIMS: &[char] = &[' ', '\t', '\n', '\r', '(', ')', ',', '='];

/// List names by index, to find the lists a text can use without
/// searching it for every list.
#[derive(Debug, Default)]
struct ListTable {
    by_name: HashMap<String, usize>,
    /// Lists whose names hold a delimiter: always searched.
    odd: Vec<usize>,
}

impl ListTable {
    fn new(lists: &[List]) -> ListTable {
        let mut table = ListTable::default();
        for (i, list) in lists.iter().enumerate() {
            if list.name.contains(LIST_DELIMS) || list.name.is_empty() {
                table.odd.push(i);
            } else {
                // Falco substitutes every definition in order; names are
                // unique after collection, so the first index is the one.
                table.by_name.entry(list.name.clone()).or_insert(i);
            }
        }
        table
    }

    fn candidates(&self, text: &str, after: Option<usize>, into: &mut BTreeSet<usize>) {
        for word in text.split(LIST_DELIMS) {
            if let Some(&i) = self.by_name.get(word)
                && after.is_none_or(|a| i > a)
            {
                into.insert(i);
            }
        }
    }

    /// Falco's substitution of every list, in definition order, into
    /// `text`. A list name only matches between delimiters, so only lists
    /// named by a word of the text (or of items substituted before them)
    /// are searched for.
    fn substitute(&self, text: &str, lists: &[List]) -> (String, Vec<usize>) {
        let mut candidates: BTreeSet<usize> = self.odd.iter().copied().collect();
        self.candidates(text, None, &mut candidates);
        let mut cnd = text.to_owned();
        let mut used = Vec::new();
        while let Some(i) = candidates.pop_first() {
            let Some(list) = lists.get(i) else {
                continue;
            };
            if resolve_list(&mut cnd, &list.name, &list.items) {
                used.push(i);
                for item in &list.items {
                    self.candidates(item, Some(i), &mut candidates);
                }
            }
        }
        (cnd, used)
    }
}

fn find_from(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    memchr::memmem::find(haystack.get(from..)?, needle).map(|p| p + from)
}

fn resolve_list(cnd: &mut String, name: &str, items: &[String]) -> bool {
    const BLANKS: &[u8] = b" \t\n\r";
    const DELIMS: &[u8] = b" \t\n\r(),=";
    let mut used = false;
    let mut next = find_from(cnd.as_bytes(), name.as_bytes(), 0);
    while let Some(mut start) = next {
        let bytes = cnd.as_bytes();
        let len = bytes.len();
        let mut end = start + name.len();
        let before_ok = start == 0 || bytes.get(start - 1).is_some_and(|b| DELIMS.contains(b));
        let after_ok = end >= len || bytes.get(end).is_some_and(|b| DELIMS.contains(b));
        if before_ok && after_ok {
            while start > 0 && bytes.get(start - 1).is_some_and(|b| BLANKS.contains(b)) {
                start -= 1;
            }
            while end < len && bytes.get(end).is_some_and(|b| BLANKS.contains(b)) {
                end += 1;
            }
            let sub = items
                .iter()
                .map(|v| quote_item(v))
                .collect::<Vec<_>>()
                .join(", ");
            if sub.is_empty() {
                if start > 0 && bytes.get(start - 1) == Some(&b',') {
                    start -= 1;
                } else if end < len && bytes.get(end) == Some(&b',') {
                    end += 1;
                }
            }
            let mut out = String::with_capacity(len + sub.len() + 2);
            if start > 0 {
                out.push_str(cnd.get(..start).unwrap_or_default());
                out.push(' ');
            }
            out.push_str(&sub);
            out.push(' ');
            out.push_str(cnd.get(end..).unwrap_or_default());
            *cnd = out;
            start += sub.len() + 1;
            used = true;
        }
        next = find_from(cnd.as_bytes(), name.as_bytes(), start + 1);
    }
    used
}

/// Falco's `build_rule_exception_infos`: the condition text
/// `(cond) and not (...) and not (...)`.
fn build_exceptions(
    exceptions: &[ExceptionInfo],
    fields: &mut BTreeSet<String>,
    condition: &str,
) -> Result<String, Failure> {
    let mut out = format!("({condition})");
    for ex in exceptions {
        let mut icond = String::new();
        if !ex.fields.is_list {
            for val in &ex.values {
                if val.is_list {
                    return Err(Failure::new(
                        VALIDATE,
                        "Expected values array to contain a list of strings",
                        &ex.ctx,
                    ));
                }
                if icond.is_empty() {
                    icond = format!("({} {} (", ex.fields.item, ex.comps.item);
                } else {
                    icond.push_str(", ");
                }
                fields.insert(ex.fields.item.clone());
                icond.push_str(&quote_item(&val.item));
            }
            if !icond.is_empty() {
                icond.push_str("))");
            }
        } else {
            icond.push('(');
            for values in &ex.values {
                if ex.fields.items.len() != values.items.len() {
                    return Err(Failure::new(
                        VALIDATE,
                        "Fields and values lists must have equal length",
                        &ex.ctx,
                    ));
                }
                if icond != "(" {
                    icond.push_str(" or ");
                }
                icond.push('(');
                for (k, (field, value)) in ex.fields.items.iter().zip(&values.items).enumerate() {
                    if k > 0 {
                        icond.push_str(" and ");
                    }
                    let comp = ex.comps.items.get(k).map_or("=", |c| c.item.as_str());
                    let istr = if value.is_list {
                        let inner: Vec<String> =
                            value.items.iter().map(|v| quote_item(&v.item)).collect();
                        format!("({})", inner.join(", "))
                    } else if is_list_comp(comp) {
                        paren_item(&value.item)
                    } else {
                        quote_item(&value.item)
                    };
                    icond.push(' ');
                    icond.push_str(&field.item);
                    icond.push(' ');
                    icond.push_str(comp);
                    icond.push(' ');
                    icond.push_str(&istr);
                    fields.insert(field.item.clone());
                }
                icond.push(')');
            }
            icond.push(')');
            if icond == "()" {
                icond.clear();
            }
        }
        if !icond.is_empty() {
            out.push_str(" and not ");
            out.push_str(&icond);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subst(text: &str, name: &str, items: &[&str]) -> String {
        let items: Vec<String> = items.iter().map(|s| (*s).to_owned()).collect();
        substitute_lists(text, &[(name, items.as_slice())]).0
    }

    #[test]
    fn lists_are_substituted_like_falco() {
        assert_eq!(
            subst("proc.name in (shells)", "shells", &["bash", "sh"]),
            "proc.name in ( bash, sh )"
        );
        assert_eq!(
            subst("proc.name in (myshells)", "shells", &["x"]),
            "proc.name in (myshells)"
        );
        assert_eq!(
            subst("proc.name in (a, shells)", "shells", &[]),
            "proc.name in (a  )"
        );
        assert_eq!(
            subst("x in (shells)", "shells", &["a b"]),
            "x in ( \"a b\" )"
        );
    }
}
