//! `palisade runtime filter`: print the events a condition matches, like
//! `sysdig -r FILE 'EXPR'`.

use std::path::PathBuf;

use clap::Args;
use palisade::Severity;
use palisade::runtime::Expr;
use palisade::runtime::Schema;
use palisade::runtime::parse_condition as parse;
use palisade::runtime::{RuleSet, RuleSpec};

use super::replay::{event_number, load_rules, read_events};
use crate::exit::Exit;
use crate::output::Output;

/// Arguments of `palisade runtime filter`.
#[derive(Debug, Args)]
pub struct FilterArgs {
    /// The condition, in Falco's language.
    #[arg(value_name = "EXPR")]
    pub expr: String,
    /// Events, one JSON object per line, or a `.scap` capture.
    #[arg(long, value_name = "FILE", required_unless_present = "check")]
    pub events: Option<PathBuf>,
    /// Rules files whose macros and lists EXPR may use.
    #[arg(long = "rules", value_name = "FILE", num_args = 1..)]
    pub rules: Vec<PathBuf>,
    /// Only parse and compile EXPR.
    #[arg(long)]
    pub check: bool,
}

/// Parses EXPR (expanding macros and lists of `--rules`) and compiles it
/// as a one-rule ruleset; prints the error.
pub fn compile_expr(
    out: &Output,
    expr: &str,
    rules: &[PathBuf],
    schema: &Schema,
) -> Option<RuleSet> {
    let resolved: Result<Expr, String> = if rules.is_empty() {
        parse(expr).map_err(|e| e.to_string())
    } else {
        load_rules(out, rules, schema)?.resolve_condition(expr)
    };
    let condition = match resolved {
        Ok(c) => c,
        Err(e) => {
            out.error(&e);
            return None;
        }
    };
    let mut builder = RuleSet::builder(schema.clone());
    if let Err(e) = builder.add(RuleSpec::new("filter", condition, Severity::Notice)) {
        out.error(&e.source.to_string());
        return None;
    }
    Some(builder.build())
}

/// Runs `palisade runtime filter`.
pub fn run(out: &Output, args: &FilterArgs) -> Exit {
    let schema = Schema::falco();
    let Some(rules) = compile_expr(out, &args.expr, &args.rules, &schema) else {
        return Exit::InputError;
    };
    if args.check {
        out.note("ok");
        return Exit::Ok;
    }
    let Some(path) = &args.events else {
        out.error("`--events FILE.jsonl` is required without `--check`");
        return Exit::InputError;
    };
    let Some(events) = read_events(out, path, &schema) else {
        return Exit::InputError;
    };
    let mut matcher = rules.matcher();
    for event in events.events() {
        if !matcher.matches(event).is_empty() {
            out.line(&event_number(event).to_string());
        }
    }
    Exit::Ok
}
