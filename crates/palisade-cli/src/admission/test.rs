//! `palisade admission test`: runs Kyverno CLI test files
//! (`kyverno-test.yaml`) like `kyverno test`, for pattern policies.

use std::path::PathBuf;

use clap::Args;
use palisade::admission::kyverno_test::{self, CaseStatus};
use serde::Serialize;

use crate::exit::Exit;
use crate::output::{Output, Style};

/// Arguments of `palisade admission test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// `kyverno-test.yaml` files, or directories searched recursively for them.
    #[arg(value_name = "DIR", required = true)]
    pub paths: Vec<PathBuf>,
}

/// One case in JSON output; `file`, `line` and `column` say where its
/// expected result is written in the test file.
#[derive(Serialize)]
struct CaseRow {
    suite: String,
    test: String,
    case: String,
    file: String,
    line: u32,
    column: u32,
    passed: bool,
    detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<ErrorRow>,
}

/// Why a policy did not load, in JSON output.
#[derive(Serialize)]
struct ErrorRow {
    file: String,
    line: u32,
    column: u32,
    message: String,
}

#[derive(Serialize)]
struct Summary {
    cases: Vec<CaseRow>,
    passed: usize,
    failed: usize,
}

/// Runs the tests: one line per case and a total (or one JSON object);
/// exit 1 when a case fails (unsupported policies fail), 2 when no test
/// could be run.
pub fn run(out: &Output, args: &TestArgs) -> Exit {
    let files = kyverno_test::find_test_files(&args.paths);
    let mut rows = Vec::new();
    let mut errors = 0usize;
    for file in &files {
        match kyverno_test::run_test_file(file) {
            Ok(cases) => {
                for c in cases {
                    let detail = match c.status {
                        CaseStatus::Passed => c.detail,
                        CaseStatus::Failed => {
                            format!("want {}, got {}: {}", c.expected, c.actual, c.detail)
                        }
                        CaseStatus::Unsupported => format!("unsupported: {}", c.detail),
                    };
                    rows.push(CaseRow {
                        suite: c.suite,
                        test: c.test,
                        case: c.case,
                        file: c.location.file,
                        line: c.location.line,
                        column: c.location.column,
                        passed: c.status == CaseStatus::Passed,
                        detail,
                        errors: c
                            .load_errors
                            .iter()
                            .map(|e| ErrorRow {
                                file: e.location().file.clone(),
                                line: e.location().line,
                                column: e.location().column,
                                message: e.message(),
                            })
                            .collect(),
                    });
                }
            }
            Err(e) => {
                errors += 1;
                out.error(&e.to_string());
            }
        }
    }
    let passed = rows.iter().filter(|r| r.passed).count();
    let failed = rows.len() - passed;
    if out.json() {
        out.print_json(&Summary {
            cases: rows,
            passed,
            failed,
        });
    } else {
        for r in &rows {
            let name = format!("{} {}/{}", r.suite, r.test, r.case);
            if r.passed {
                out.line(&format!("{} {name}", out.paint(Style::Green, "PASS")));
            } else if r.errors.is_empty() {
                out.line(&format!(
                    "{} {name}: {}",
                    out.paint(Style::Red, "FAIL"),
                    r.detail
                ));
            } else {
                let errors: Vec<String> = r
                    .errors
                    .iter()
                    .map(|e| format!("{}:{}:{}: {}", e.file, e.line, e.column, e.message))
                    .collect();
                out.line(&format!(
                    "{} {name}: unsupported: {}",
                    out.paint(Style::Red, "FAIL"),
                    errors.join("; ")
                ));
            }
        }
        out.line(&format!("{passed} passed, {failed} failed"));
    }
    if failed > 0 {
        Exit::Violation
    } else if errors > 0 || files.is_empty() {
        if files.is_empty() {
            out.error("no `kyverno-test.yaml` files found");
        }
        Exit::InputError
    } else {
        Exit::Ok
    }
}
