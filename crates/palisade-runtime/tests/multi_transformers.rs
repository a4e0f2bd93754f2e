//! The multi-input transformers `join`, `concat` and `getopt`: verdicts of
//! the VM on fixed events (cases modelled on libsinsp's transformer unit
//! tests), each also checked against the reference evaluator, and the
//! compile errors for the forms libsinsp rejects.
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

/// An open of `/tmp/file_to_run` (event number 1) by `cat`.
const OPEN: &str = r#"{"evt.num":1,"evt.type":"open","proc.name":"cat","fd.name":"/tmp/file_to_run","fd.directory":"/tmp"}"#;
/// The same without an fd (`fd.*` absent).
const NO_FD: &str = r#"{"evt.num":2,"evt.type":"switch","proc.name":"cat"}"#;

fn schema() -> &'static Schema {
    static SCHEMA: std::sync::OnceLock<Schema> = std::sync::OnceLock::new();
    SCHEMA.get_or_init(Schema::falco)
}

/// The VM's verdict for `cond` on `event`, asserted equal to the
/// reference evaluator's.
fn verdict(cond: &str, event: &str) -> bool {
    let schema = schema();
    let expr = parse(cond).unwrap_or_else(|e| panic!("`{cond}` does not parse: {e}"));
    let mut builder = RuleSet::builder(schema.clone());
    builder
        .add(RuleSpec::new("r", expr.clone(), Severity::Notice))
        .unwrap_or_else(|e| panic!("`{cond}` does not compile: {e}"));
    let rules = builder.build();
    let mut matcher = rules.matcher();
    let events = FlatEvents::parse(event, schema).unwrap();
    let event = &events.events()[0];
    let vm = !matcher.matches(event).is_empty();
    let reference = reference::eval(&expr, event, schema);
    assert_eq!(vm, reference, "VM and reference disagree on `{cond}`");
    vm
}

fn compile_error(cond: &str) -> String {
    let expr = parse(cond).unwrap_or_else(|e| panic!("`{cond}` does not parse: {e}"));
    let mut builder = RuleSet::builder(schema().clone());
    match builder.add(RuleSpec::new("r", expr, Severity::Notice)) {
        Ok(()) => panic!("`{cond}` compiled"),
        Err(e) => e.to_string(),
    }
}

fn assert_cases(cases: &[(&str, bool)], event: &str) {
    let wrong: Vec<String> = cases
        .iter()
        .filter(|(c, want)| verdict(c, event) != *want)
        .map(|(c, want)| format!("`{c}` should be {want}"))
        .collect();
    assert!(
        wrong.is_empty(),
        "{} of {} wrong:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}

#[test]
fn join() {
    assert_cases(
        &[
            (
                r#"join(fd.name, (fd.name, fd.directory)) = /tmp/file_to_run/tmp/file_to_run/tmp"#,
                true,
            ),
            (
                r#"join("-", (fd.name, fd.directory)) = /tmp/file_to_run-/tmp"#,
                true,
            ),
            (r#"join("-", ("aaa", "bbb")) = aaa-bbb"#, true),
            (r#"join("->", ("aaa")) = aaa"#, true),
            (
                r#"join("->", (fd.name, "aaa", fd.directory)) = /tmp/file_to_run->aaa->/tmp"#,
                true,
            ),
            (
                r#"join("->", (toupper(fd.name), "aaa")) = /TMP/FILE_TO_RUN->aaa"#,
                true,
            ),
            (
                r#"join("-", (fd.directory, join("->", ("aaa", toupper(fd.name))))) = /tmp-aaa->/TMP/FILE_TO_RUN"#,
                true,
            ),
            (r#"join(",", ("aaa", "bbb")) = "aaa,bbb""#, true),
            (r#"join(",", ("aaa", "bbb")) = "aaa-bbb""#, false),
            (r#"join(",", (evt.num, evt.num)) = "1,1""#, true),
            (r#"join(",", ()) = """#, true),
            (r#"join(",", ()) = ",""#, false),
            (
                r#"toupper(join("-", (fd.name, fd.directory))) = /TMP/FILE_TO_RUN-/TMP"#,
                true,
            ),
            (r#"len(join("-", (fd.name, fd.directory))) = 21"#, true),
            (r#"b64(join("W", ("YWFhL", "JiYg"))) = "aaa-bbb""#, true),
            (
                r#"toupper(join("-", (fd.name, fd.directory))) startswith /TMP"#,
                true,
            ),
            (
                r#"join("-", (proc.name, fd.name)) in ("cat-/tmp/file_to_run", x)"#,
                true,
            ),
            (r#"join("-", (proc.name, fd.name)) exists"#, true),
            (r#"join("-", (proc.name, fd.name)) = val(proc.name)"#, false),
        ],
        OPEN,
    );
}

#[test]
fn concat() {
    assert_cases(
        &[
            (
                r#"concat(fd.name, fd.directory) = /tmp/file_to_run/tmp"#,
                true,
            ),
            (r#"concat("aaa", "bbb", "ccc") = aaabbbccc"#, true),
            (
                r#"concat(fd.name, "aaa", fd.directory) = /tmp/file_to_runaaa/tmp"#,
                true,
            ),
            (
                r#"concat("aaa", toupper(fd.name)) = aaa/TMP/FILE_TO_RUN"#,
                true,
            ),
            (
                r#"concat(fd.directory, concat("aaa", toupper(fd.name))) = /tmpaaa/TMP/FILE_TO_RUN"#,
                true,
            ),
            (r#"concat("aaa", "bbb") = "aaa-bbb""#, false),
            (
                r#"concat(proc.name, "/", basename(fd.name)) glob "cat/*run""#,
                true,
            ),
            (r#"concat(proc.name, "x") != catx"#, false),
            (r#"proc.name = concat("c", "at")"#, true),
        ],
        OPEN,
    );
}

#[test]
fn getopt() {
    assert_cases(
        &[
            (r#"getopt(("-n",""), "n") intersects ("n")"#, true),
            (
                r#"getopt(("-nt", "hello"), "nt:") intersects ("n", "t", "hello")"#,
                true,
            ),
            (
                r#"getopt(("-thello"), "t:") intersects ("t", "hello")"#,
                true,
            ),
            (r#"getopt(("-n"), "n") intersects ("t")"#, false),
            (
                r#"getopt(("-n", "--", "-t"), "nt:") intersects ("t")"#,
                false,
            ),
            (r#"getopt(("-x", "-n"), "n") intersects ("?", "n")"#, true),
            (r#"getopt(("-x", "-n"), "n") intersects ("x")"#, false),
            (
                r#"getopt(("-lpe", "/bin/sh"), "lp:e:") intersects ("e")"#,
                true,
            ),
            (
                r#"getopt(("-lpe", "/bin/sh"), "lp:e:") intersects ("/bin/sh")"#,
                false,
            ),
            (
                r#"getopt(("-lpe", "/bin/sh"), "lpe:") intersects ("/bin/sh")"#,
                true,
            ),
            (r#"getopt(("-n", "-t"), "") intersects ("n")"#, false),
            (
                r#"getopt(("arg1", "-n", "arg2"), "n") intersects ("n")"#,
                false,
            ),
            (r#"getopt(("-", "-n"), "n") intersects ("n")"#, false),
            (r#"getopt(("-t"), "t:") intersects ("")"#, true),
            (r#"getopt(("-t"), "t:") intersects ("t")"#, false),
            (r#"getopt(("-t"), ":t:") intersects (":")"#, false),
            (r#"getopt(("-n", "--", "--"), "n") intersects ("n")"#, true),
            (
                r#"getopt(("-abcvalue"), "abc:") intersects ("value")"#,
                true,
            ),
            (r#"getopt(("--exec"), "e:") intersects ("?")"#, false),
            (r#"getopt(("-nx"), "n") in ("n", "?")"#, true),
            (r#"getopt(("-nx"), "n") in ("n")"#, false),
            (r#"getopt(("arg"), "n") in ("n")"#, true),
            (r#"getopt(("arg"), "n") exists"#, true),
            (r#"getopt(("-n", "-t", "hello"), "nt:")[t] = hello"#, true),
            (r#"getopt(("-n", "-t", "hello"), "nt:")[t] = n"#, false),
            (r#"getopt(("-n", "-t", "hello"), "nt:")[n] = n"#, true),
            (r#"getopt(("-t", "v1", "-t", "v2"), "t:")[t] = v2"#, true),
            (r#"getopt(("-t?"), "t:")[t] = ?"#, true),
            (r#"getopt(("-t:"), ":t:")[t] = :"#, true),
            (r#"getopt(("-t"), "t:")[t] != """#, false),
            (r#"getopt(("-t"), "t:")[t] = """#, true),
            (r#"getopt(("-n"), "nt:")[t] != """#, false),
            (r#"getopt(("-n"), "nt:")[t] exists"#, false),
            (r#"getopt(("-t", "v1", "-t"), "t:")[t] = """#, true),
            (
                r#"getopt(("-t", fd.name), "t:")[t] = /tmp/file_to_run"#,
                true,
            ),
            (r#"getopt(("-t", evt.num), "t:")[t] = 1"#, true),
            (
                r#"getopt(("-n", "-t", proc.name), concat("n", "t:"))[t] = cat"#,
                true,
            ),
            (r#"join("+", getopt(("-nt", "v"), "nt:")) = n+t+v"#, true),
        ],
        OPEN,
    );
}

#[test]
fn absent_inputs_make_the_result_absent() {
    assert_cases(
        &[
            (r#"join("-", (proc.name, fd.name)) exists"#, false),
            (r#"join(fd.name, ("a")) exists"#, false),
            (r#"concat(proc.name, fd.name) exists"#, false),
            (r#"concat(proc.name, fd.name) != x"#, false),
            (r#"not concat(proc.name, fd.name) = x"#, true),
            (r#"getopt(("-t", fd.name), "t:") exists"#, false),
            (r#"getopt(("-t", "v"), fd.name)[t] exists"#, false),
            (r#"getopt(("-t", "v"), "t:")[t] = v"#, true),
        ],
        NO_FD,
    );
}

#[test]
fn forms_libsinsp_rejects_are_compile_errors() {
    for (cond, msg) in [
        ("join(\"-\") = foo", "requires exactly 2 arguments"),
        (
            "join(\"-\", \"a\", \"b\") = foo",
            "requires exactly 2 arguments",
        ),
        ("join((\"a\", \"b\"), (\"a\", \"b\")) = foo", "single value"),
        ("join(\"a\", \"b\") = foo", "second argument must be a list"),
        (
            "join(\"a\", proc.name) = foo",
            "second argument must be a list",
        ),
        ("concat(\"aaa\") = foo", "at least 2 arguments"),
        ("concat(evt.num, \"a\") = foo", "must be single strings"),
        ("concat((\"a\", \"b\"), \"a\") = foo", "single value"),
        ("getopt((\"a\")) intersects (\"n\")", "exactly 2 arguments"),
        (
            "getopt(\"not_a_list\", \"n\") intersects (\"n\")",
            "first argument must be a list",
        ),
        (
            "getopt(proc.args, \"nt:\")[t] = x",
            "first argument must be a list",
        ),
        (
            "getopt((\"-n\"), (\"n\")) intersects (\"n\")",
            "single value",
        ),
        ("getopt((\"-n\"), \"n\")[nt] = n", "single option character"),
        ("getopt((\"-n\"), \"n\") = n", "operator `=`"),
        ("getopt((\"-n\"), \"n\") contains n", "operator `contains`"),
        (
            "tolower(getopt((\"-n\"), \"n\")) intersects (n)",
            "transformer `tolower`",
        ),
        (
            "concat(\"a\", getopt((\"-n\"), \"n\")) = n",
            "must be single strings",
        ),
    ] {
        let err = compile_error(cond);
        assert!(err.contains(msg), "`{cond}`: error `{err}` lacks `{msg}`");
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let mut cond = "proc.name".to_owned();
    for _ in 0..9 {
        cond = format!("concat(\"a\", {cond})");
    }
    let err = compile_error(&format!("{cond} = x"));
    assert!(err.contains("more than 8 deep"), "{err}");
    // Eight levels compile and evaluate.
    let mut cond = "proc.name".to_owned();
    for _ in 0..8 {
        cond = format!("concat(\"a\", {cond})");
    }
    assert!(verdict(&format!("{cond} = aaaaaaaacat"), OPEN));
}
