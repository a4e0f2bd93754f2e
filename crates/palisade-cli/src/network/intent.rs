//! `palisade network intent`: the declared paths (Otterize ClientIntents)
//! against what the policies allow.

use clap::Args;
use palisade::network::intent::{IntentReport, PathFinding, compare};

use super::load;
use crate::exit::Exit;
use crate::output::{Output, Style};

/// Arguments of `palisade network intent` (`--intents` is required).
#[derive(Debug, Args)]
pub struct IntentArgs {
    /// Policies, inventory and intents.
    #[command(flatten)]
    pub cluster: load::ClusterArgs,
}

/// Runs `palisade network intent`: exit 1 when a path is undeclared or
/// blocked.
pub fn run(out: &Output, args: &IntentArgs) -> Exit {
    if !args.cluster.has_intents() {
        out.error("`--intents PATH` is required: the ClientIntents to compare with");
        return Exit::InputError;
    }
    let Some((resolver, declaration, mut issues)) = args.cluster.load(out) else {
        return Exit::InputError;
    };
    let found = compare(&resolver, &declaration, &mut issues);
    load::report_issues(out, &issues);
    if out.json() {
        out.print_json(&found.to_json());
    } else {
        print(out, &found);
    }
    super::exit_on(!found.is_clean())
}

fn print(out: &Output, report: &IntentReport) {
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
