//! `palisade runtime disasm`: the bytecode of rules or of one condition.

use std::path::PathBuf;

use clap::Args;
use palisade::runtime::MatchMode;
use palisade::runtime::Schema;
use palisade::runtime::disasm::listing;

use super::filter::compile_expr;
use super::replay::{compile_rules, load_rules};
use crate::exit::Exit;
use crate::output::Output;

/// Arguments of `palisade runtime disasm`.
#[derive(Debug, Args)]
pub struct DisasmArgs {
    /// A condition to compile (instead of `--rules`).
    #[arg(value_name = "EXPR", required_unless_present = "rules")]
    pub expr: Option<String>,
    /// Rules files, loaded in order.
    #[arg(long = "rules", value_name = "FILE", num_args = 1..)]
    pub rules: Vec<PathBuf>,
    /// Only this rule.
    #[arg(long, value_name = "NAME", requires = "rules")]
    pub rule: Option<String>,
}

/// Runs `palisade runtime disasm`.
pub fn run(out: &Output, args: &DisasmArgs) -> Exit {
    let schema = Schema::falco();
    let rules = match &args.expr {
        Some(expr) => compile_expr(out, expr, &args.rules, &schema),
        None => load_rules(out, &args.rules, &schema)
            .and_then(|loaded| compile_rules(out, &loaded, &schema, MatchMode::First)),
    };
    let Some(rules) = rules else {
        return Exit::InputError;
    };
    match listing(&rules, args.rule.as_deref()) {
        Some(text) => {
            out.line(text.trim_end());
            Exit::Ok
        }
        None => {
            out.error(&format!(
                "no enabled rule named `{}`",
                args.rule.as_deref().unwrap_or_default()
            ));
            Exit::InputError
        }
    }
}
