//! Falco 0.44's comparison modifiers (`oneof`, `anyof`, `allof`) against
//! falcosecurity/libs' own tests and implementation (libs `48dfd53`,
//! `userspace/libsinsp/test/filter_compiler.ut.cpp` and
//! `userspace/libsinsp/sinsp_filtercheck.cpp`): which checks compile, and
//! what they match.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a failing test is the point"
)]

use palisade_core::Severity;
use palisade_runtime::event::FlatEvents;
use palisade_runtime::fields::Schema;
use palisade_runtime::parser::parse;
use palisade_runtime::ruleset::{RuleSet, RuleSpec};

/// Whether `expr` compiles against the Falco schema.
fn compiles(expr: &str) -> bool {
    let mut builder = RuleSet::builder(Schema::falco());
    builder
        .add(RuleSpec::new("m", parse(expr).unwrap(), Severity::Notice))
        .is_ok()
}

/// Whether `expr` matches the one event `event` (JSON).
fn matches(expr: &str, event: &str) -> bool {
    let schema = Schema::falco();
    let mut builder = RuleSet::builder(schema.clone());
    builder
        .add(RuleSpec::new("m", parse(expr).unwrap(), Severity::Notice))
        .unwrap();
    let rules = builder.build();
    let events = FlatEvents::parse(event, &schema).unwrap();
    let mut matcher = rules.matcher();
    !matcher.matches(&events.events()[0]).is_empty()
}

/// `filter_compiler.ut.cpp` 486-492 and 514-520 ("with modifier: only ==
/// and != are allowed" on address and network fields), 1007-1024 (the
/// three modifiers with `==` and `!=`, in larger expressions, after a
/// transformer).
#[test]
fn which_modifier_checks_compile() {
    for (expr, ok) in [
        ("fd.ip == anyof (127.0.0.1)", true),
        ("fd.ip == allof (127.0.0.1)", true),
        ("fd.ip != anyof (127.0.0.1)", true),
        ("fd.ip != allof (127.0.0.1)", true),
        ("fd.ip contains anyof (127.0.0.1)", false),
        ("fd.ip regex allof ('.*')", false),
        ("fd.net == anyof (127.0.0.1/32)", true),
        ("fd.net == allof (127.0.0.1/32)", true),
        ("fd.net != anyof (127.0.0.1/32)", true),
        ("fd.net != allof (127.0.0.1/32)", true),
        ("fd.net contains anyof (127.0.0.1/32)", false),
        ("fd.net startswith allof (127.0.0.1/32)", false),
        ("evt.type == oneof (getcwd, openat)", true),
        ("evt.type == anyof (getcwd, openat)", true),
        ("evt.type == allof (getcwd)", true),
        ("evt.type != oneof (openat, execve)", true),
        ("evt.type != anyof (openat, execve)", true),
        ("evt.type != allof (openat)", true),
        (
            "evt.type == oneof (getcwd, openat) and evt.source == oneof (syscall)",
            true,
        ),
        (
            "not evt.type == oneof (openat) or evt.type == anyof (getcwd)",
            true,
        ),
        ("toupper(proc.name) == oneof (INIT, BASH)", true),
    ] {
        assert_eq!(compiles(expr), ok, "{expr}");
    }
}

/// `sinsp_filter_check::compare_rhs_with_mod`: `oneof` holds when exactly
/// one item matches (`matches_one_rhs`), `anyof` when at least one does,
/// `allof` when every one does (`!= allof (...)`: the value is none of
/// them); an absent field matches nothing.
#[test]
fn modifiers_match_as_libsinsp_counts() {
    let cat = r#"{"evt.type": "execve", "proc.name": "cat", "fd.name": "/etc/passwd"}"#;
    for (expr, want) in [
        ("proc.name startswith oneof (c, ca)", false),
        ("proc.name startswith oneof (c, x)", true),
        ("proc.name startswith anyof (x, ca)", true),
        ("proc.name startswith anyof (x, y)", false),
        ("proc.name startswith allof (c, ca, cat)", true),
        ("proc.name startswith allof (c, x)", false),
        ("proc.name == oneof (cat, dog)", true),
        ("proc.name != allof (dog, cow)", true),
        ("proc.name != allof (dog, cat)", false),
        ("proc.name != anyof (dog, cat)", true),
        ("proc.name != oneof (cat, dog)", true),
        ("proc.name != oneof (dog, cow)", false),
        ("fd.name endswith anyof (passwd, shadow)", true),
        ("toupper(proc.name) == oneof (INIT, CAT)", true),
        ("evt.type == oneof (execve, open)", true),
        ("evt.type != oneof (execve, open)", true),
        ("evt.type != oneof (open, openat)", false),
        ("evt.type != allof (open, openat)", true),
        ("proc.pname startswith anyof (c, x)", false),
        ("not proc.pname startswith anyof (c, x)", true),
    ] {
        assert_eq!(matches(expr, cat), want, "{expr}");
    }
}
