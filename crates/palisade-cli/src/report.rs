//! `palisade report DIR [--events FILE]`: every layer over one directory of
//! mixed inputs, in one report of findings and policy coverage.
//!
//! Exit 1 when a finding is at or above `warning` (an admission deny or
//! warn, a runtime alert of priority warning or higher, a network audit
//! warning: [`palisade::report::FAIL_AT`]), 0 otherwise, 2 on input errors.

use std::path::PathBuf;

use clap::Args;
use palisade::admission::gatekeeper::EngineChoice;
use palisade::{Palisade, Severity};

use crate::exit::Exit;
use crate::output::{Output, Style};

/// Arguments of `palisade report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A directory (read recursively) of ConstraintTemplates and
    /// constraints, pattern policies, Falco rules files, network policies
    /// and inventory manifests.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Events to replay through the Falco rules: one JSON object per line,
    /// or a `.scap` capture (plain or gzip).
    #[arg(long, value_name = "FILE")]
    pub events: Option<PathBuf>,
    /// Which implementation of Gatekeeper templates runs: `auto` (CEL where
    /// a template has `K8sNativeValidation`, Rego otherwise, as Gatekeeper
    /// does), `rego` or `cel` (templates without it are skipped).
    #[arg(long, value_name = "ENGINE", default_value = "auto")]
    pub engine: EngineChoice,
}

/// The report's JSON: findings, coverage and the posture.
#[derive(serde::Serialize)]
struct WithPosture<'a> {
    #[serde(flatten)]
    report: &'a palisade::Report,
    posture: &'a palisade::Posture,
}

/// Runs `palisade report`.
pub fn run(out: &Output, args: &ReportArgs) -> Exit {
    let Some(palisade) = out.checked(Palisade::load_dirs_with(&[&args.dir], args.engine)) else {
        return Exit::InputError;
    };
    for skipped in palisade.skipped() {
        out.warning(&skipped.to_string());
    }
    for issue in palisade.network_issues() {
        out.warning(&issue.to_string());
    }
    let Some(events) = out.checked(
        args.events
            .as_deref()
            .map(Palisade::read_events)
            .transpose(),
    ) else {
        return Exit::InputError;
    };
    if events.is_some() && palisade.rules().is_none() {
        out.warning("events given but no Falco rules file found; no runtime findings");
    }
    let report = palisade.report(events.as_ref());
    let posture = palisade.posture(&palisade::PostureContext {
        tests: Some(palisade::posture::TestResults::run(&args.dir)),
        ..palisade::PostureContext::default()
    });
    if out.json() {
        out.print_json(&WithPosture {
            report: &report,
            posture: &posture,
        });
    } else {
        out.line(&out.paint(Style::Bold, "Inputs"));
        for file in palisade.files() {
            out.line(&format!(
                "  {:<15} {} ({} items)",
                file.kind.as_str(),
                file.path.display(),
                file.items
            ));
        }
        out.line("");
        out.line(&out.paint(Style::Bold, "Findings"));
        for f in &report.findings {
            let severity = if f.severity >= Severity::Warning {
                out.paint(Style::Yellow, f.severity.as_str())
            } else {
                out.paint(Style::Dim, f.severity.as_str())
            };
            let subject = f
                .subject
                .as_ref()
                .map(|s| format!(" [{s}]"))
                .unwrap_or_default();
            out.line(&format!(
                "  {:<9} {severity} {}: {}{subject}",
                f.layer.as_str(),
                f.policy,
                f.message
            ));
        }
        out.line("");
        out.line(&out.paint(Style::Bold, "Coverage"));
        for c in &report.coverage {
            out.line(&format!(
                "  {:<9} {:>5.1}% ({}/{}) {}",
                c.layer.as_str(),
                c.share * 100.0,
                c.applies_to,
                c.of,
                c.policy
            ));
        }
        if !report.fixes.is_empty() {
            out.line("");
            out.line(&out.paint(Style::Bold, "Fixes (palisade admission fix)"));
            for fix in &report.fixes {
                out.line(&format!("  {} ({})", fix.object, fix.location));
                for c in &fix.changes {
                    let value = c
                        .value
                        .as_ref()
                        .map(|v| format!(" {v}"))
                        .unwrap_or_default();
                    out.line(&format!("    {} {}{value}: {}", c.op, c.path, c.reason));
                }
                for u in &fix.unfixable {
                    out.line(&format!(
                        "    {} {}: {}",
                        out.paint(Style::Yellow, "unfixable"),
                        u.check,
                        u.reason
                    ));
                }
            }
        }
        out.line("");
        crate::score::print(out, &posture);
        let failing = report
            .findings
            .iter()
            .filter(|f| f.severity >= palisade::report::FAIL_AT)
            .count();
        out.note(&format!(
            "{} findings ({failing} at warning or above), {} policies in the coverage table",
            report.findings.len(),
            report.coverage.len()
        ));
    }
    if report.failed() {
        Exit::Violation
    } else {
        Exit::Ok
    }
}
