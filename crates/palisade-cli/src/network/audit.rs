//! `palisade network audit`: findings about the policies.

use clap::Args;
use palisade::Severity;

use super::load;
use crate::exit::Exit;
use crate::output::{Output, Style};

/// Arguments of `palisade network audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The manifests: positional, or `--policies` and `--inventory`.
    #[command(flatten)]
    pub manifests: load::Manifests,
}

/// Runs `palisade network audit`.
pub fn run(out: &Output, args: &AuditArgs) -> Exit {
    let Some(resolver) = args.manifests.resolver(out) else {
        return Exit::InputError;
    };
    let findings = palisade::network::audit(&resolver);
    if out.json() {
        out.print_json(&findings);
    } else {
        for f in &findings {
            let severity = match f.severity {
                s if s >= Severity::Warning => out.paint(Style::Yellow, s.as_str()),
                s => out.paint(Style::Dim, s.as_str()),
            };
            let at = f
                .location
                .as_ref()
                .map(|l| out.paint(Style::Dim, &format!(" ({l})")))
                .unwrap_or_default();
            out.line(&format!("{severity} {}: {}{at}", f.policy, f.message));
        }
        let warnings = findings
            .iter()
            .filter(|f| f.severity >= Severity::Warning)
            .count();
        out.note(&format!(
            "{} findings, {warnings} at warning or above",
            findings.len()
        ));
    }
    if findings.iter().any(|f| f.severity >= Severity::Warning) {
        Exit::Violation
    } else {
        Exit::Ok
    }
}
