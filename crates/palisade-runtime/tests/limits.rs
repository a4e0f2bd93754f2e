//! Runtime limits: condition depth and length, rules file size and item
//! count, expanded list size, regex size, macro depth. Each gives an error
//! saying which limit, never a crash or a hang.

use palisade_core::Severity;
use palisade_runtime::fields::Schema;
use palisade_runtime::loader::{
    Loader, MAX_ITEMS, MAX_LIST_ITEMS, MAX_RESOLVED_DEPTH, MAX_RULES_FILE_BYTES,
};
use palisade_runtime::parser::{MAX_DEPTH, MAX_LEN, parse};
use palisade_runtime::ruleset::{RuleSet, RuleSpec};

fn load(text: &str) -> Vec<String> {
    let schema = Schema::falco();
    let mut loader = Loader::with_checker(&schema);
    loader.add_str("limits.yaml", text);
    loader
        .finish()
        .errors
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn condition_depth_is_bounded() {
    let deep = format!(
        "{}proc.name = a{}",
        "(".repeat(MAX_DEPTH + 1),
        ")".repeat(MAX_DEPTH + 1)
    );
    let e = parse(&deep).unwrap_err().to_string();
    assert!(
        e.contains(&format!("max depth limit of {MAX_DEPTH}")),
        "{e}"
    );
    // 200,000 nested `not`s: refused, or (double negations folded) compiled
    // and run without exhausting the stack.
    let very_deep = "not ".repeat(200_000) + "proc.name = a";
    if let Ok(expr) = parse(&very_deep) {
        let mut builder = RuleSet::builder(Schema::falco());
        if builder
            .add(RuleSpec::new("r", expr, Severity::Notice))
            .is_ok()
        {
            let rules = builder.build();
            let events = palisade_runtime::event::FlatEvents::parse(
                r#"{"evt.type":"open","proc.name":"a"}"#,
                rules.schema(),
            )
            .unwrap();
            assert_eq!(rules.matcher().matches(&events.events()[0]).len(), 1);
        }
    }
}

#[test]
fn condition_length_is_bounded() {
    let long = format!("proc.name = \"{}\"", "a".repeat(MAX_LEN));
    let e = parse(&long).unwrap_err().to_string();
    assert!(
        e.contains(&format!("more than the limit of {MAX_LEN}")),
        "{e}"
    );
}

#[test]
fn rules_file_size_is_bounded() {
    let text = format!("# {}\n", "x".repeat(MAX_RULES_FILE_BYTES));
    let errors = load(&text);
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("limits.yaml:1:1") && e.contains("more than the limit")),
        "{errors:?}"
    );
}

#[test]
fn rules_file_item_count_is_bounded() {
    let text = "- list: l\n  items: []\n".repeat(MAX_ITEMS + 1);
    let errors = load(&text);
    assert!(
        errors
            .iter()
            .any(|e| e.contains(&format!("more than the limit of {MAX_ITEMS}"))),
        "{errors:?}"
    );
}

#[test]
fn expanded_list_size_is_bounded() {
    // 400 items, referenced 400 times: 160,000 items once expanded.
    let items: Vec<String> = (0..400).map(|i| format!("i{i}")).collect();
    let refs = vec!["base"; 400];
    let text = format!(
        "- list: base\n  items: [{}]\n- list: big\n  items: [{}]\n- rule: r\n  desc: d\n  condition: proc.name in (big)\n  output: o\n  priority: INFO\n",
        items.join(", "),
        refs.join(", ")
    );
    let errors = load(&text);
    assert!(
        errors.iter().any(|e| e.contains("limits.yaml:3:")
            && e.contains(&format!("more than {MAX_LIST_ITEMS} items"))),
        "{errors:?}"
    );
}

#[test]
fn macro_expansion_depth_is_bounded() {
    let mut text = String::from("- macro: m0\n  condition: proc.name = a\n");
    for i in 1..=MAX_RESOLVED_DEPTH + 5 {
        text.push_str(&format!("- macro: m{i}\n  condition: not m{}\n", i - 1));
    }
    text.push_str(&format!(
        "- rule: r\n  desc: d\n  condition: m{}\n  output: o\n  priority: INFO\n",
        MAX_RESOLVED_DEPTH + 5
    ));
    let errors = load(&text);
    assert!(
        !errors.is_empty(),
        "a macro chain deeper than {MAX_RESOLVED_DEPTH} loaded"
    );
}

#[test]
fn regex_size_is_bounded() {
    let schema = Schema::falco();
    let expr = parse(r#"proc.name regex "((a|b){100}){100}""#).unwrap();
    let mut builder = RuleSet::builder(schema);
    let e = builder
        .add(RuleSpec::new("r", expr, Severity::Notice))
        .unwrap_err()
        .to_string();
    assert!(e.contains("size limit") || e.contains("limit"), "{e}");
}
