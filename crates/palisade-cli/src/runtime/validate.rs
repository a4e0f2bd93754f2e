//! `palisade runtime validate FILE...`: load Falco rules files in order,
//! compile every rule, and report counts, warnings and errors.

use std::path::PathBuf;

use clap::Args;
use palisade::runtime::k8saudit;
use palisade::runtime::{Diagnostic, Loaded, Loader};
use palisade::runtime::{MatchMode, RuleSet};
use serde_json::{Map, Value, json};

use super::replay::check_plugins;
use crate::exit::Exit;
use crate::output::Output;

/// Arguments of `palisade runtime validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Rules files, loaded in order (later files amend earlier ones).
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// Print each rule's resolved condition in Falco's canonical form.
    #[arg(long)]
    pub print_conditions: bool,
    /// A plugin version the rules' `required_plugin_versions` are checked
    /// against (default k8saudit=0.18.0, json=0.7.0 and container=0.4.0).
    #[arg(long = "plugin-version", value_name = "NAME=x.y.z")]
    pub plugin_versions: Vec<String>,
}

fn diagnostic_json(d: &Diagnostic) -> Value {
    json!({
        "message": d.message,
        "file": d.context.file,
        "line": d.context.line,
        "column": d.context.column,
        "item": d.context.item(),
    })
}

/// Runs `palisade runtime validate`: exit 0 when everything loads and
/// compiles, 2 with any error.
pub fn run(out: &Output, args: &ValidateArgs) -> Exit {
    // Syscall and `k8s_audit` rules: both sources load.
    let schema = k8saudit::schema();
    let mut loader = Loader::with_checker(&schema);
    for path in &args.files {
        loader.add_file(path);
    }
    let mut loaded = loader.finish();
    if loaded.is_ok() && !check_plugins(out, &loaded, &args.plugin_versions) {
        return Exit::InputError;
    }
    // The loader checked every condition; building the ruleset compiles the
    // enabled rules to bytecode as the engine would.
    if loaded.is_ok()
        && let Err(e) = RuleSet::from_loaded(&loaded, &schema, MatchMode::default())
    {
        out.error(&e.to_string());
        return Exit::InputError;
    }
    if out.json() {
        out.print_json(&report_json(&loaded));
    } else {
        report_text(out, &mut loaded, args.print_conditions);
    }
    if loaded.is_ok() {
        Exit::Ok
    } else {
        Exit::InputError
    }
}

fn report_json(loaded: &Loaded) -> Value {
    let mut rules = Map::new();
    for rule in &loaded.rules {
        rules.insert(
            rule.name.clone(),
            json!({
                "condition": rule.condition.as_string(),
                "enabled": rule.enabled,
                "priority": rule.priority.falco_name(),
                "tags": rule.tags.iter().collect::<Vec<_>>(),
            }),
        );
    }
    json!({
        "rules": rules,
        "macros": loaded.macros.len(),
        "lists": loaded.lists.len(),
        "warnings": loaded.warnings.iter().map(diagnostic_json).collect::<Vec<_>>(),
        "errors": loaded.errors.iter().map(diagnostic_json).collect::<Vec<_>>(),
    })
}

fn report_text(out: &Output, loaded: &mut Loaded, print_conditions: bool) {
    for warning in &loaded.warnings {
        out.line(&format!("warning: {warning}"));
    }
    for error in &loaded.errors {
        out.error(&error.to_string());
    }
    if print_conditions {
        for rule in &loaded.rules {
            out.line(&format!("{}: {}", rule.name, rule.condition.as_string()));
        }
    }
    out.line(&format!(
        "{} rules ({} enabled), {} macros, {} lists, {} warnings, {} errors",
        loaded.rules.len(),
        loaded.enabled_rules(),
        loaded.macros.len(),
        loaded.lists.len(),
        loaded.warnings.len(),
        loaded.errors.len()
    ));
}
