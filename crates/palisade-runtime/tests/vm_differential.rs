//! Differential test: random conditions over random events give the same
//! verdicts in the bytecode VM and in the reference AST walker.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test is the point"
)]

mod reference;

use palisade_core::Severity;
use palisade_runtime::event::FlatEvents;
use palisade_runtime::fields::Schema;
use palisade_runtime::parser::parse;
use palisade_runtime::ruleset::{RuleSet, RuleSpec};
use proptest::prelude::*;

const NAMES: &[&str] = &["cat", "bash", "nc", "sshd", "Bash", "systemd"];
const PATHS: &[&str] = &[
    "/etc/passwd",
    "/etc",
    "/etcfoo",
    "/tmp/x",
    "/usr/lib/a.so",
    "",
    "etc//shadow",
];
const IPS: &[&str] = &["10.0.0.1", "127.0.0.1", "::1", "192.168.1.5", "2001:db8::3"];
const TYPES: &[&str] = &["open", "execve", "connect", "read", "switch"];

fn pick(pool: &'static [&'static str]) -> impl Strategy<Value = &'static str> + Clone {
    prop::sample::select(pool)
}

fn quoted(s: &str) -> String {
    format!("\"{s}\"")
}

fn list(items: &[String]) -> String {
    format!("({})", items.join(", "))
}

/// A random event as one JSON object.
fn event() -> impl Strategy<Value = String> {
    let opt = |s: BoxedStrategy<String>| {
        prop::option::weighted(0.75, s).prop_map(|o| o.unwrap_or_else(|| "null".to_owned()))
    };
    let s = |pool: &'static [&'static str]| {
        pick(pool)
            .prop_map(|v| serde_json::to_string(v).unwrap())
            .boxed()
    };
    (
        (pick(TYPES), opt(s(NAMES)), opt(s(PATHS)), opt(s(NAMES))),
        opt(prop::collection::vec(pick(NAMES), 0..4).prop_map(|v| serde_json::to_string(&v).unwrap()).boxed()),
        opt(prop::sample::select(vec![-1i64, 0, 3, 1000]).prop_map(|n| n.to_string()).boxed()),
        opt(prop::sample::select(vec![0u64, 1000, 4294967295]).prop_map(|n| n.to_string()).boxed()),
        opt(any::<bool>().prop_map(|b| b.to_string()).boxed()),
        (opt(s(IPS)), opt(s(IPS)), opt(prop::sample::select(vec![22u16, 80, 1000, 65535]).prop_map(|n| n.to_string()).boxed())),
    )
        .prop_map(|((ty, name, fdname, a1), aname, num, uid, b, (sip, snet, sport))| {
            format!(
                "{{\"evt.type\":\"{ty}\",\"proc.name\":{name},\"fd.name\":{fdname},\"proc.aname[1]\":{a1},\"proc.aname\":{aname},\"fd.num\":{num},\"user.uid\":{uid},\"evt.is_open_read\":{b},\"fd.sip\":{sip},\"fd.snet\":{snet},\"fd.sport\":{sport}}}"
            )
        })
}

/// A random check, as condition text.
fn check() -> impl Strategy<Value = String> {
    let str_field = pick(&[
        "proc.name",
        "fd.name",
        "proc.aname",
        "proc.aname[1]",
        "tolower(proc.name)",
        "basename(fd.name)",
        "concat(proc.name, fd.name)",
        "concat(\"/\", tolower(proc.name), \"x\")",
        "join(\"/\", (proc.name, fd.name))",
        "join(proc.name, (fd.name, fd.num, \"sh\"))",
        "toupper(join(\"\", ()))",
        "basename(join(\"/\", getopt((\"-t\", fd.name, \"-n\"), \"nt:\")))",
        "getopt((\"-t\", proc.name), \"t:\")[t]",
        "getopt((\"-nt\", fd.name, proc.name), \"nt:\")[n]",
    ]);
    let str_lit = prop_oneof![
        pick(NAMES),
        pick(PATHS),
        pick(&["et", "BA", "/etc", "a", "sh"])
    ];
    let pattern = pick(&[
        "*", "/etc/*", "[a-c]*", "[!a-c]*", "?at", "*SH", "/etc*", "*/*",
    ]);
    let regex = pick(&["^/etc", "a.*", "sh$", "^[bc]"]);
    let str_op = pick(&[
        "=",
        "==",
        "!=",
        "contains",
        "icontains",
        "startswith",
        "endswith",
    ]);
    let str_check = prop_oneof![
        (str_field.clone(), str_op.clone(), str_lit.clone())
            .prop_map(|(f, o, v)| format!("{f} {o} {}", quoted(v))),
        (str_field.clone(), pick(&["glob", "iglob"]), pattern)
            .prop_map(|(f, o, v)| format!("{f} {o} {}", quoted(v))),
        (str_field.clone(), regex).prop_map(|(f, v)| format!("{f} regex {}", quoted(v))),
        (
            str_field.clone(),
            pick(&["in", "intersects", "pmatch"]),
            prop::collection::vec(prop_oneof![pick(NAMES), pick(PATHS)], 0..4)
        )
            .prop_map(|(f, o, v)| format!(
                "{f} {o} {}",
                list(&v.iter().map(|s| quoted(s)).collect::<Vec<_>>())
            )),
        (
            str_field.clone(),
            pick(&["=", "!=", "startswith", "contains"]),
            pick(&["oneof", "anyof", "allof"]),
            prop::collection::vec(str_lit, 1..3)
        )
            .prop_map(|(f, o, m, v)| format!(
                "{f} {o} {m} {}",
                list(&v.iter().map(|s| quoted(s)).collect::<Vec<_>>())
            )),
        str_field.prop_map(|f| format!("{f} exists")),
        pick(&[
            "proc.name = val(proc.aname[1])",
            "proc.name != val(proc.aname[1])",
            "proc.aname = val(proc.name)"
        ])
        .prop_map(str::to_owned),
    ];
    let num_field = pick(&["fd.num", "user.uid", "fd.sport", "len(fd.name)"]);
    let num_check = prop_oneof![
        (
            num_field.clone(),
            pick(&["=", "!=", "<", "<=", ">", ">="]),
            prop::sample::select(vec![0i64, 3, 22, 80, 1000, 4294967295])
        )
            .prop_map(|(f, o, n)| format!("{f} {o} {n}")),
        (
            num_field.clone(),
            prop::collection::vec(prop::sample::select(vec![0i64, 3, 80, 1000]), 0..3)
        )
            .prop_map(|(f, v)| format!(
                "{f} in {}",
                list(&v.iter().map(ToString::to_string).collect::<Vec<_>>())
            )),
        num_field.prop_map(|f| format!("{f} exists")),
    ];
    let bool_check = prop_oneof![
        (pick(&["=", "!="]), any::<bool>()).prop_map(|(o, b)| format!("evt.is_open_read {o} {b}")),
        Just("evt.is_open_read exists".to_owned()),
    ];
    let net_lit = pick(&[
        "10.0.0.1",
        "::1",
        "10.0.0.0/8",
        "127.0.0.0/8",
        "192.168.0.0/16",
        "2001:db8::/32",
    ]);
    let ip_check = prop_oneof![
        (
            pick(&["fd.sip", "fd.snet"]),
            pick(&["=", "!="]),
            net_lit.clone()
        )
            .prop_map(|(f, o, v)| format!("{f} {o} {}", quoted(v))),
        (
            pick(&["fd.sip", "fd.snet"]),
            prop::collection::vec(net_lit, 1..3)
        )
            .prop_map(|(f, v)| format!(
                "{f} in {}",
                list(&v.iter().map(|s| quoted(s)).collect::<Vec<_>>())
            )),
        pick(&["fd.sip", "fd.snet"]).prop_map(|f| format!("{f} exists")),
    ];
    let type_check = prop_oneof![
        (
            pick(&["=", "!="]),
            prop_oneof![pick(TYPES), Just("no_such_event")]
        )
            .prop_map(|(o, t)| format!("evt.type {o} {t}")),
        prop::collection::vec(pick(TYPES), 0..3).prop_map(|v| format!(
            "evt.type in {}",
            list(&v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
        )),
    ];
    let argv_item = pick(&[
        "\"-n\"",
        "\"-t\"",
        "\"-nt\"",
        "\"-tval\"",
        "\"--\"",
        "\"--exec\"",
        "\"-x\"",
        "\"-\"",
        "\"\"",
        "\"arg\"",
        "proc.name",
        "fd.name",
        "fd.num",
    ]);
    let getopt = (
        prop::collection::vec(argv_item, 0..6),
        pick(&[
            "\"nt:\"",
            "\":t:\"",
            "\"n\"",
            "\"\"",
            "\"t::n\"",
            "proc.name",
        ]),
    )
        .prop_map(|(argv, opts)| format!("getopt(({}), {opts})", argv.join(", ")));
    let getopt_check = prop_oneof![
        (
            getopt.clone(),
            pick(&["in", "intersects"]),
            prop::collection::vec(pick(&["n", "t", "?", "", "val", "cat", "/etc", "3"]), 0..4)
        )
            .prop_map(|(g, o, v)| format!(
                "{g} {o} {}",
                list(&v.iter().map(|s| quoted(s)).collect::<Vec<_>>())
            )),
        (
            getopt,
            pick(&["[t]", "[n]", "[x]"]),
            pick(&["=", "!=", "startswith"]),
            pick(&["n", "t", "", "val", "cat", "/etc"])
        )
            .prop_map(|(g, s, o, v)| format!("{g}{s} {o} {}", quoted(v))),
    ];
    prop_oneof![3 => str_check, 2 => num_check, 1 => bool_check, 1 => ip_check, 2 => type_check, 1 => getopt_check]
}

fn condition() -> impl Strategy<Value = String> {
    check().prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4)
                .prop_map(|v| format!("({})", v.join(" and "))),
            prop::collection::vec(inner.clone(), 2..4)
                .prop_map(|v| format!("({})", v.join(" or "))),
            inner.prop_map(|c| format!("not {c}")),
        ]
    })
}

fn schema() -> &'static Schema {
    static SCHEMA: std::sync::OnceLock<Schema> = std::sync::OnceLock::new();
    SCHEMA.get_or_init(Schema::falco)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn vm_agrees_with_reference(cond in condition(), events in prop::collection::vec(event(), 1..6)) {
        let schema = schema();
        let expr = parse(&cond).unwrap_or_else(|e| panic!("generated condition `{cond}` does not parse: {e}"));
        let mut builder = RuleSet::builder(schema.clone());
        builder.add(RuleSpec::new("r", expr.clone(), Severity::Notice)).unwrap_or_else(|e| panic!("`{cond}`: {e}"));
        let rules = builder.build();
        let mut matcher = rules.matcher();
        let events = FlatEvents::parse(&events.join("\n"), schema).unwrap();
        for event in events.events() {
            let vm = !matcher.matches(event).is_empty();
            let reference = reference::eval(&expr, event, schema);
            prop_assert_eq!(vm, reference, "condition `{}` on event {:?}", cond, event);
        }
    }
}
