//! The facade's errors are typed: each variant carries the layer's located
//! error (file, line, column), and is a miette diagnostic with a code.

use miette::Diagnostic as _;
use palisade::admission::load_policies_str;
use palisade::runtime::{MatchMode, RuleSet, RuleSpec, Schema, compile_texts, parse_condition};
use palisade::{EventsError, InputError, Palisade, PalisadeError, RulesError, Severity};

#[test]
fn a_policy_text_that_is_not_yaml_is_a_located_manifest_error() {
    let err = load_policies_str("policies.yaml", "kind: [unclosed\n").unwrap_err();
    let InputError::Manifest(manifest) = &err else {
        panic!("expected a manifest error, got {err:?}");
    };
    let location = manifest.location().expect("a syntax error has a position");
    assert_eq!(location.file, "policies.yaml");
    assert!(location.line >= 1 && location.column >= 1, "{location}");
    assert!(err.to_string().starts_with("policies.yaml:"), "{err}");
    assert!(err.code().is_some());
}

#[test]
fn rules_that_do_not_load_keep_every_located_diagnostic() {
    let text = "- rule: a\n  desc: d\n  condition: evt.type = execve and nosuch.field = 1\n  output: o\n  priority: WARNING\n";
    let err = compile_texts(&[("rules.yaml", text)], MatchMode::All).unwrap_err();
    let RulesError::Load(load) = &err else {
        panic!("expected a load error, got {err:?}");
    };
    assert!(!load.errors.is_empty());
    assert!(load.errors.iter().all(|d| d.context.file == "rules.yaml"));
    assert!(err.to_string().starts_with("rules: rules.yaml:"), "{err}");
    assert_eq!(
        err.related().map_or(0, Iterator::count),
        load.errors.len(),
        "every diagnostic is a related miette diagnostic"
    );
}

#[test]
fn a_rule_output_with_an_unknown_field_is_an_output_error() {
    // Rules files have their outputs checked when they load; a ruleset
    // built by hand has them checked when it becomes an engine.
    let mut builder = RuleSet::builder(Schema::falco());
    let mut spec = RuleSpec::new(
        "a",
        parse_condition("evt.type = execve").unwrap(),
        Severity::Warning,
    );
    spec.output = "x %nosuch.field".to_owned();
    builder.add(spec).unwrap();
    let rules = builder.build();
    let err = palisade::runtime::engine(rules).unwrap_err();
    let RulesError::Output(output) = &err else {
        panic!("expected an output error, got {err:?}");
    };
    assert_eq!(output.rule, "a");
    assert!(err.to_string().contains("`nosuch.field`"), "{err}");
}

#[test]
fn an_event_line_that_is_not_json_names_the_file_line_and_column() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("facade-errors");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("events.jsonl");
    std::fs::write(&path, "{\"evt.type\": \"execve\"}\n{\"evt.type\": \n").unwrap();
    let err = Palisade::read_events(&path).unwrap_err();
    let PalisadeError::Events(EventsError::Parse { path: p, source }) = &err else {
        panic!("expected a parse error, got {err:?}");
    };
    assert_eq!(p, &path);
    assert_eq!(source.line, 2);
    assert!(
        err.to_string()
            .starts_with(&format!("events `{}`: line 2, column ", path.display())),
        "{err}"
    );
}

#[test]
fn a_missing_directory_is_a_read_error_naming_it() {
    let err = Palisade::load_dir(std::path::Path::new("/nonexistent/palisade")).unwrap_err();
    let PalisadeError::Input(InputError::Read(read)) = &err else {
        panic!("expected a read error, got {err:?}");
    };
    assert_eq!(read.path, std::path::Path::new("/nonexistent/palisade"));
    assert!(
        err.to_string()
            .starts_with("cannot read `/nonexistent/palisade`:"),
        "{err}"
    );
}
