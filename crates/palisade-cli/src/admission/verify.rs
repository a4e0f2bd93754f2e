//! `palisade admission verify`: runs Gatekeeper `suite.yaml` files like
//! `gator verify`.

use std::path::PathBuf;

use clap::Args;
use palisade::admission::suite;

use crate::exit::Exit;
use crate::output::{Output, Style};

/// Arguments of `palisade admission verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Suite files, or directories searched recursively for `kind: Suite` files.
    #[arg(value_name = "DIR", required = true)]
    pub paths: Vec<PathBuf>,
}

/// Runs the suites: one line per case and a total (or one JSON object);
/// exit 1 when a case fails, 2 when no suite could be run or one is unreadable.
pub fn run(out: &Output, args: &VerifyArgs) -> Exit {
    let report = suite::run_paths(&args.paths);
    for e in &report.errors {
        out.error(e);
    }
    if out.json() {
        out.print_json(&report.to_json());
    } else {
        for case in &report.cases {
            let name = format!("{} {}/{}", case.suite, case.test, case.case);
            let line = if case.skipped {
                format!("{} {name}", out.paint(Style::Dim, "SKIP"))
            } else if case.passed {
                format!("{} {name}", out.paint(Style::Green, "PASS"))
            } else {
                format!("{} {name}: {}", out.paint(Style::Red, "FAIL"), case.detail)
            };
            out.line(&line);
        }
        let skipped = match report.skipped() {
            0 => String::new(),
            n => format!(", {n} skipped"),
        };
        out.line(&format!(
            "{} passed, {} failed{skipped}",
            report.passed(),
            report.failed()
        ));
    }
    if report.failed() > 0 {
        Exit::Violation
    } else if !report.errors.is_empty() || report.cases.is_empty() {
        if report.cases.is_empty() && report.errors.is_empty() {
            out.error("no Gatekeeper suites (`kind: Suite`) found");
        }
        Exit::InputError
    } else {
        Exit::Ok
    }
}
