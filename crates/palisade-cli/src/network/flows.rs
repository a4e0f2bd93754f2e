//! `palisade network flows`: a Hubble export judged against the policies
//! (and the declared intent).

use std::path::PathBuf;

use clap::Args;
use palisade::network::flows::{FlowFinding, FlowJudge, FlowReport};

use super::load;
use crate::exit::Exit;
use crate::output::{Output, Style};

/// Arguments of `palisade network flows`.
#[derive(Debug, Args)]
pub struct FlowsArgs {
    /// Policies, inventory and (optional) intents: with intents, each flow
    /// says whether its path is declared.
    #[command(flatten)]
    pub cluster: load::ClusterArgs,
    /// Hubble's JSON export (`hubble observe -o json`), one flow a line.
    #[arg(long, required = true, value_name = "FILE")]
    pub flows: PathBuf,
}

/// Runs `palisade network flows`: exit 1 when a flow has a finding.
pub fn run(out: &Output, args: &FlowsArgs) -> Exit {
    let text = match std::fs::read_to_string(&args.flows) {
        Ok(text) => text,
        Err(e) => {
            out.error(&format!("cannot read `{}`: {e}", args.flows.display()));
            return Exit::InputError;
        }
    };
    let Some((resolver, declaration, mut issues)) = args.cluster.load(out) else {
        return Exit::InputError;
    };
    let declaration = args.cluster.has_intents().then_some(&declaration);
    let judge = FlowJudge::new(&resolver, declaration, &mut issues);
    load::report_issues(out, &issues);
    let report = judge.judge_export(&args.flows.display().to_string(), &text);
    for problem in &report.problems {
        out.warning(&problem.to_string());
    }
    let found = report.has_findings();
    super::report(out, &report.to_json(), || print(out, &report), found)
}

fn print(out: &Output, report: &FlowReport) {
    for f in &report.flows {
        let finding = match f.finding {
            Some(FlowFinding::Drift) => out.paint(Style::Red, " DRIFT"),
            Some(FlowFinding::DeclaredButDropped) => out.paint(Style::Red, " DECLARED-BUT-DROPPED"),
            Some(FlowFinding::Undeclared) => out.paint(Style::Yellow, " UNDECLARED"),
            None => String::new(),
        };
        let direction = serde_json::to_value(f.direction).unwrap_or_default();
        out.line(&format!(
            "line {}: {} {} => {} {}/{} ({}): {}{finding}",
            f.line,
            f.observed,
            f.from,
            f.to,
            f.protocol,
            f.port,
            direction.as_str().unwrap_or_default(),
            f.verdict,
        ));
        for reason in &f.decided_by {
            out.line(&format!("  {reason}"));
        }
    }
    let s = &report.summary;
    out.note(&format!(
        "{} records: {} judged ({} allowed, {} denied), {} replies skipped, {} with other verdicts, {} unknown endpoints, {} without port, {} malformed; findings: {} drift, {} declared-but-dropped, {} undeclared",
        s.records,
        s.judged,
        s.allowed,
        s.denied,
        s.replies,
        s.not_judged.values().sum::<usize>(),
        s.unknown_endpoints,
        s.missing_ports,
        s.malformed,
        s.drift,
        s.declared_but_dropped,
        s.undeclared
    ));
}
