//! `palisade network intent`: the declared paths (Otterize ClientIntents)
//! against what the policies allow.

use clap::Args;
use palisade::network::intent::{IntentReport, compare};

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
    super::report(
        out,
        &found.to_json(),
        || print(out, &found),
        !found.is_clean(),
    )
}

fn print(out: &Output, report: &IntentReport) {
    super::print_paths(
        out,
        &out.paint(Style::Yellow, "UNDECLARED"),
        &report.undeclared,
    );
    super::print_paths(out, &out.paint(Style::Red, "BLOCKED"), &report.blocked);
    out.note(&format!(
        "{} undeclared (allowed, not declared: too open), {} blocked (declared, denied: too tight)",
        report.undeclared.len(),
        report.blocked.len()
    ));
}
