//! `palisade admission pss`: Pod Security Standards on manifests, natively.

use std::path::PathBuf;

use clap::Args;
use palisade::admission::pss::{self, Level, LevelVersion, Version};
use palisade::manifest;
use serde::Serialize;

use crate::exit::Exit;
use crate::output::{Output, Style};

/// Arguments of `palisade admission pss`.
#[derive(Debug, Args)]
pub struct PssArgs {
    /// The level to check against.
    #[arg(long, value_parser = parse_level)]
    pub level: Level,
    /// The policy version: `v1.N` or `latest`.
    #[arg(long, default_value = "latest", value_parser = parse_version)]
    pub version: Version,
    /// Manifest files or directories (`-` for standard input).
    #[arg(value_name = "MANIFESTS", required = true)]
    pub paths: Vec<PathBuf>,
}

pub(super) fn parse_level(text: &str) -> Result<Level, String> {
    match text.parse::<Level>() {
        Ok(Level::Privileged) => Err("use `baseline` or `restricted`".to_owned()),
        Ok(level) => Ok(level),
        Err(e) => Err(e.to_string()),
    }
}

pub(super) fn parse_version(text: &str) -> Result<Version, String> {
    text.parse::<Version>().map_err(|e| e.to_string())
}

/// One evaluated object in JSON output.
#[derive(Serialize)]
struct Row {
    file: String,
    line: u32,
    column: u32,
    object: String,
    allowed: bool,
    reasons: Vec<String>,
    /// Each reason with the Pod Security check that gave it.
    failures: Vec<Failure>,
}

/// One failed check in JSON output.
#[derive(Serialize)]
struct Failure {
    /// The check's ID as PSA names it (`hostNamespaces`).
    check: String,
    /// The reason, as in `reasons`.
    reason: String,
}

/// Runs the command: one line per Pod or workload (or a JSON list); exit 1
/// when any is denied, 2 on unreadable input.
pub fn run(out: &Output, args: &PssArgs) -> Exit {
    let report = manifest::load_paths(&args.paths);
    for e in &report.errors {
        out.error(&e.to_string());
    }
    let lv = LevelVersion::new(args.level, args.version);
    let mut rows = Vec::new();
    for m in &report.objects {
        let Some(result) = pss::evaluate(lv, &m.object) else {
            continue;
        };
        rows.push((
            Row {
                file: m.source.file.clone(),
                line: m.source.line,
                column: m.source.column,
                object: m.object_ref().to_string(),
                allowed: result.allowed(),
                reasons: result.failures.iter().map(ToString::to_string).collect(),
                failures: result
                    .failures
                    .iter()
                    .map(|f| Failure {
                        check: f.check.to_string(),
                        reason: f.to_string(),
                    })
                    .collect(),
            },
            result,
        ));
    }
    let denied = rows.iter().filter(|(r, _)| !r.allowed).count();
    if out.json() {
        let list: Vec<&Row> = rows.iter().map(|(r, _)| r).collect();
        out.print_json(&list);
    } else {
        for (row, result) in &rows {
            if row.allowed {
                out.line(&format!(
                    "{} {} ({}:{})",
                    out.paint(Style::Green, "ALLOWED"),
                    row.object,
                    row.file,
                    row.line
                ));
            } else {
                out.line(&format!(
                    "{} {} ({}:{}): {}",
                    out.paint(Style::Red, "DENIED"),
                    row.object,
                    row.file,
                    row.line,
                    result.denial_message()
                ));
                for reason in &row.reasons {
                    out.line(&format!("  - {reason}"));
                }
            }
        }
        out.note(&format!(
            "{} checked at {lv}: {} allowed, {denied} denied",
            rows.len(),
            rows.len() - denied
        ));
    }
    if !report.errors.is_empty() {
        Exit::InputError
    } else if rows.is_empty() {
        out.error("no Pods or workloads with a pod template found");
        Exit::InputError
    } else if denied > 0 {
        Exit::Violation
    } else {
        Exit::Ok
    }
}
