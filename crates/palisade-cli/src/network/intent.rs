//! `palisade network intent`: the declared paths (Otterize ClientIntents)
//! against what the policies allow.

use std::path::PathBuf;

use clap::Args;
use palisade::network::intent::{IntentReport, PathFinding, compare};

use super::load;
use crate::exit::Exit;
use crate::output::{Output, Style};

/// Arguments of `palisade network intent`.
#[derive(Debug, Args)]
pub struct IntentArgs {
    /// Policy manifests: files or directories (read recursively).
    #[arg(long, required = true, value_name = "PATH")]
    pub policies: Vec<PathBuf>,
    /// The workloads, namespaces and services: files or directories.
    #[arg(long, value_name = "PATH")]
    pub inventory: Vec<PathBuf>,
    /// Otterize ClientIntents (`v2beta1`, `v1alpha3`): files or directories.
    #[arg(long, required = true, value_name = "PATH")]
    pub intents: Vec<PathBuf>,
    /// Do not count DNS to kube-system `kube-dns` (UDP and TCP 53) as
    /// declared for every workload.
    #[arg(long)]
    pub no_implicit_dns: bool,
}

/// Runs `palisade network intent`: exit 1 when a path is undeclared or
/// blocked.
pub fn run(out: &Output, args: &IntentArgs) -> Exit {
    let mut cluster = args.policies.clone();
    cluster.extend(args.inventory.iter().cloned());
    let loaded = load::with_declaration(out, &cluster, &args.intents, args.no_implicit_dns);
    let Some((resolver, declaration, mut issues)) = loaded else {
        return Exit::InputError;
    };
    let found = compare(&resolver, &declaration, &mut issues);
    load::report_issues(out, &issues);
    print(out, &found);
    if found.is_clean() {
        Exit::Ok
    } else {
        Exit::Violation
    }
}

fn print(out: &Output, report: &IntentReport) {
    if out.json() {
        out.print_json(&report.to_json());
        return;
    }
    let undeclared = out.paint(Style::Yellow, "UNDECLARED");
    let blocked = out.paint(Style::Red, "BLOCKED");
    for (word, list) in [(undeclared, &report.undeclared), (blocked, &report.blocked)] {
        for finding in list {
            out.line(&format!("{word} {}", path(finding)));
            for reason in &finding.because {
                out.line(&format!("  {reason}"));
            }
        }
    }
    out.note(&format!(
        "{} undeclared (allowed, not declared: too open), {} blocked (declared, denied: too tight)",
        report.undeclared.len(),
        report.blocked.len()
    ));
}

/// `from => to PROTOCOL/port`, the port `*` for every port.
fn path(f: &PathFinding) -> String {
    let ports = match &f.ports {
        None => "*".to_owned(),
        Some(r) if r.start() == r.end() => r.start().to_string(),
        Some(r) => format!("{}-{}", r.start(), r.end()),
    };
    format!("{} => {} {}/{ports}", f.from, f.to, f.protocol)
}
