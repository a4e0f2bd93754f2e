//! Differential fuzzing of the runtime VM: a random condition (built from
//! typed pieces, so most cases parse) is compiled to bytecode and run on
//! random events; the verdict must equal the reference AST walker's (the
//! one `crates/palisade-runtime/tests/vm_differential.rs` uses, included
//! here by path so it stays test-only in the runtime crate).
#![no_main]

#[path = "../../crates/palisade-runtime/tests/reference/mod.rs"]
mod reference;

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use palisade_core::Severity;
use palisade_runtime::event::FlatEvents;
use palisade_runtime::fields::Schema;
use palisade_runtime::parser::parse;
use palisade_runtime::ruleset::{MatchMode, RuleSet, RuleSpec};

const STR_FIELDS: &[&str] = &[
    "proc.name",
    "fd.name",
    "proc.aname",
    "proc.aname[1]",
    "tolower(proc.name)",
    "toupper(proc.name)",
    "basename(fd.name)",
];
const NUM_FIELDS: &[&str] = &["fd.num", "user.uid", "fd.sport"];
const IP_FIELDS: &[&str] = &["fd.sip", "fd.snet"];
const STR_OPS: &[&str] = &[
    "=", "!=", "contains", "icontains", "startswith", "endswith", "glob", "iglob", "in",
    "intersects", "pmatch", "regex",
];
const NUM_OPS: &[&str] = &["=", "!=", "<", "<=", ">", ">=", "in"];
const IP_OPS: &[&str] = &["=", "!=", "in"];
const WORDS: &[&str] = &[
    "cat", "bash", "nc", "sshd", "Bash", "/etc", "/etc/passwd", "/etc/", "etc", "*", "/tmp/*",
    "?at", "[bc]at", "passwd", "", "a*b", "/usr/lib", "\\\\", "BASH", "6361",
];
const NUMS: &[&str] = &["-1", "0", "3", "22", "80", "1000", "4294967295"];
const IPS: &[&str] = &[
    "10.0.0.1", "127.0.0.1", "::1", "192.168.1.5", "2001:db8::3", "10.0.0.0/8", "::/0",
    "192.168.0.0/16",
];

const EV_NAMES: &[&str] = &["cat", "bash", "nc", "sshd", "Bash", "systemd", "", "a\u{e9}b"];
const EV_PATHS: &[&str] = &["/etc/passwd", "/etc", "/etcfoo", "/tmp/x", "/usr/lib/a.so", "", "etc//shadow"];
const EV_TYPES: &[&str] = &["open", "execve", "connect", "read", "switch"];

fn pick<'a>(pool: &[&'a str], i: u8) -> &'a str {
    pool.get(usize::from(i) % pool.len()).copied().unwrap_or("")
}

/// One check.
#[derive(Debug, Arbitrary)]
enum Check {
    Str { field: u8, op: u8, words: Vec<u8> },
    Num { field: u8, op: u8, nums: Vec<u8> },
    Ip { field: u8, op: u8, ips: Vec<u8> },
    Exists { field: u8 },
    Type { ty: u8 },
    Bool(bool),
}

/// A condition tree, its depth bounded when rendered.
#[derive(Debug, Arbitrary)]
enum Cond {
    Check(Check),
    Not(Box<Cond>),
    And(Vec<Cond>),
    Or(Vec<Cond>),
}

/// `field op rhs`, with `rhs` the `values` picked in `pool`: a list of them
/// for `in`, else the first.
fn pick_check(field: &str, op: &str, pool: &[&str], values: &[u8]) -> String {
    let rhs = if op == "in" {
        list(values.iter().map(|n| pick(pool, *n).to_owned()))
    } else {
        pick(pool, values.first().copied().unwrap_or(0)).to_owned()
    };
    format!("{field} {op} {rhs}")
}

fn list(items: impl Iterator<Item = String>) -> String {
    let v: Vec<String> = items.take(5).collect();
    if v.is_empty() { "(\"x\")".to_owned() } else { format!("({})", v.join(", ")) }
}

fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

fn render_check(c: &Check) -> String {
    match c {
        Check::Str { field, op, words } => {
            let op = pick(STR_OPS, *op);
            let field = pick(STR_FIELDS, *field);
            let first = words.first().copied().unwrap_or(0);
            let rhs = match op {
                "in" | "intersects" | "pmatch" => list(words.iter().map(|w| quoted(pick(WORDS, *w)))),
                "regex" => quoted(["^ba", "sh$", "c.t", "[", "a{2,3}", ".*"][usize::from(first) % 6]),
                _ => quoted(pick(WORDS, first)),
            };
            format!("{field} {op} {rhs}")
        }
        Check::Num { field, op, nums } => {
            pick_check(pick(NUM_FIELDS, *field), pick(NUM_OPS, *op), NUMS, nums)
        }
        Check::Ip { field, op, ips } => {
            pick_check(pick(IP_FIELDS, *field), pick(IP_OPS, *op), IPS, ips)
        }
        Check::Exists { field } => format!("{} exists", pick(STR_FIELDS, *field)),
        Check::Type { ty } => format!("evt.type = {}", pick(EV_TYPES, *ty)),
        Check::Bool(b) => format!("evt.is_open_read = {b}"),
    }
}

fn render(c: &Cond, depth: usize) -> String {
    if depth > 8 {
        return "proc.name exists".to_owned();
    }
    match c {
        Cond::Check(check) => render_check(check),
        Cond::Not(inner) => format!("not ({})", render(inner, depth + 1)),
        Cond::And(v) | Cond::Or(v) if v.is_empty() => "evt.type = open".to_owned(),
        Cond::And(v) => v.iter().take(4).map(|c| format!("({})", render(c, depth + 1))).collect::<Vec<_>>().join(" and "),
        Cond::Or(v) => v.iter().take(4).map(|c| format!("({})", render(c, depth + 1))).collect::<Vec<_>>().join(" or "),
    }
}

/// One event, each field picked from a pool or absent.
#[derive(Debug, Arbitrary)]
struct Ev {
    ty: u8,
    name: Option<u8>,
    fdname: Option<u8>,
    a1: Option<u8>,
    aname: Option<Vec<u8>>,
    num: Option<i16>,
    uid: Option<u32>,
    b: Option<bool>,
    sip: Option<u8>,
    snet: Option<u8>,
    sport: Option<u16>,
}

fn opt_str(pool: &[&str], v: Option<u8>) -> String {
    v.map_or_else(|| "null".to_owned(), |i| quoted(pick(pool, i)))
}

fn render_event(e: &Ev) -> String {
    let aname = e.aname.as_ref().map_or_else(
        || "null".to_owned(),
        |v| format!("[{}]", v.iter().take(4).map(|i| quoted(pick(EV_NAMES, *i))).collect::<Vec<_>>().join(",")),
    );
    let num = |v: Option<String>| v.unwrap_or_else(|| "null".to_owned());
    let ips: Vec<&str> = IPS.iter().copied().filter(|s| !s.contains('/')).collect();
    format!(
        "{{\"evt.type\":{},\"proc.name\":{},\"fd.name\":{},\"proc.aname[1]\":{},\"proc.aname\":{},\"fd.num\":{},\"user.uid\":{},\"evt.is_open_read\":{},\"fd.sip\":{},\"fd.snet\":{},\"fd.sport\":{}}}",
        quoted(pick(EV_TYPES, e.ty)),
        opt_str(EV_NAMES, e.name),
        opt_str(EV_PATHS, e.fdname),
        opt_str(EV_NAMES, e.a1),
        aname,
        num(e.num.map(|n| n.to_string())),
        num(e.uid.map(|n| n.to_string())),
        num(e.b.map(|b| b.to_string())),
        opt_str(&ips, e.sip),
        opt_str(&ips, e.snet),
        num(e.sport.map(|n| n.to_string())),
    )
}

/// A fuzz case: a few conditions, compiled together as the rules of one
/// ruleset (so checks shared across rules, rule guards and the event-type
/// index are exercised), and a few events.
#[derive(Debug, Arbitrary)]
struct Case {
    cond: Cond,
    more: Vec<Cond>,
    events: Vec<Ev>,
}

fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(Schema::falco)
}

fuzz_target!(|case: Case| {
    let schema = schema();
    let mut rules_src = Vec::new();
    for cond in std::iter::once(&case.cond).chain(case.more.iter().take(3)) {
        let cond = render(cond, 0);
        if let Ok(expr) = parse(&cond) {
            rules_src.push((cond, expr));
        }
    }
    let mut builder = RuleSet::builder(schema.clone());
    builder.mode(MatchMode::All);
    let mut compiled = Vec::new();
    for (i, (cond, expr)) in rules_src.iter().enumerate() {
        if builder.add(RuleSpec::new(format!("r{i}"), expr.clone(), Severity::Notice)).is_ok() {
            compiled.push((cond, expr));
        }
    }
    if compiled.is_empty() {
        return;
    }
    let rules = builder.build();
    let mut matcher = rules.matcher();
    let text: Vec<String> = case.events.iter().take(8).map(render_event).collect();
    let Ok(events) = FlatEvents::parse(&text.join("\n"), schema) else {
        return;
    };
    for event in events.events() {
        let got: Vec<usize> = matcher.matches(event).indexes().iter().map(|&i| i as usize).collect();
        let want: Vec<usize> = compiled
            .iter()
            .enumerate()
            .filter(|(_, (_, expr))| reference::eval(expr, event, schema))
            .map(|(i, _)| i)
            .collect();
        let conds: Vec<&String> = compiled.iter().map(|(c, _)| *c).collect();
        assert_eq!(got, want, "rules {conds:?} on event {event:?}");
    }
});
