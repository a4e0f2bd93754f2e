//! `palisade runtime parse EXPR`: parse a condition (no schema, no macros)
//! and print it in Falco's canonical form.

use clap::Args;
use palisade::runtime::parse_condition as parse;
use serde_json::json;

use crate::exit::Exit;
use crate::output::Output;

/// Arguments of `palisade runtime parse`.
#[derive(Debug, Args)]
pub struct ParseArgs {
    /// The condition, in Falco's language. A bare identifier is a macro
    /// reference; fields are not checked.
    #[arg(value_name = "EXPR", allow_hyphen_values = true)]
    pub expr: String,
}

/// Runs `palisade runtime parse`: the canonical form on success (exit 0),
/// the error with its position otherwise (exit 2).
pub fn run(out: &Output, args: &ParseArgs) -> Exit {
    match parse(&args.expr) {
        Ok(expr) => {
            let canonical = expr.as_string();
            if out.json() {
                out.print_json(&json!({ "condition": canonical }));
            } else {
                out.line(&canonical);
            }
            Exit::Ok
        }
        Err(e) => {
            let pos = e.pos();
            if out.json() {
                out.print_json(&json!({
                    "error": {
                        "message": e.to_string(),
                        "line": pos.line,
                        "column": pos.column,
                        "offset": pos.offset,
                    }
                }));
            }
            out.error(&e.to_string());
            Exit::InputError
        }
    }
}
