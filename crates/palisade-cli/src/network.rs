//! `palisade network …`: check one flow, list connectivity, audit policies,
//! compare the policies with declared intent, judge observed flows, and
//! compare two sets of policies.

mod audit;
mod check;
mod connlist;
mod demo;
mod diff;
mod flows;
mod generate;
mod intent;
mod load;

use clap::Subcommand;
use palisade::network::paths::PathFinding;

use crate::exit::Exit;
use crate::output::Output;

/// Commands of the `network` group.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// May one workload (or address) connect to another on a port? Prints the
    /// verdict and the rules behind it; exits 0 when allowed, 1 when denied.
    Check(check::CheckArgs),
    /// Every allowed connection between workloads and IP ranges, in
    /// netpol-analyzer's connectivity-list format.
    Connlist(connlist::ConnlistArgs),
    /// Audit the policies: unprotected workloads, missing default-deny,
    /// cross-namespace flows, egress to the world, policies that select
    /// nothing, rules shadowed by deny. Exits 1 when a warning is found.
    Audit(audit::AuditArgs),
    /// Compare the policies with declared intent (Otterize ClientIntents):
    /// paths allowed but not declared (too open) and declared but denied
    /// (too tight), with the rules behind each. Exits 1 when either is found.
    Intent(intent::IntentArgs),
    /// Write least-privilege policies from declared intent (Otterize
    /// ClientIntents): a default deny per namespace, DNS to kube-dns, and
    /// exactly the declared paths, as NetworkPolicy or CiliumNetworkPolicy.
    Generate(generate::GenerateArgs),
    /// Judge observed flows (Hubble's JSON export) against the policies and
    /// the declared intent: each flow's verdict on the side it was observed
    /// at, and drift, declared-but-dropped or undeclared. Exits 1 on a finding.
    Flows(flows::FlowsArgs),
    /// What a change of policies opens and closes: the connections allowed
    /// after and not before (with the rules that allow them) and before and
    /// not after (with the rules that deny them). Exits 1 when it changes
    /// anything.
    Diff(diff::DiffArgs),
}

/// Runs a command of the group.
pub fn run(out: &Output, command: Command) -> Exit {
    match command {
        Command::Check(args) => check::run(out, &args),
        Command::Connlist(args) => connlist::run(out, &args),
        Command::Audit(args) => audit::run(out, &args),
        Command::Intent(args) => intent::run(out, &args),
        Command::Generate(args) => generate::run(out, &args),
        Command::Flows(args) => flows::run(out, &args),
        Command::Diff(args) => diff::run(out, &args),
    }
}

/// Exit 1 when something was found, else 0.
fn exit_on(found: bool) -> Exit {
    if found { Exit::Violation } else { Exit::Ok }
}

/// Prints `json` (with `--format json`) or the text `print` writes, then
/// exits 1 when something was `found`.
fn report(out: &Output, json: &serde_json::Value, print: impl FnOnce(), found: bool) -> Exit {
    if out.json() {
        out.print_json(json);
    } else {
        print();
    }
    exit_on(found)
}

/// This layer's part of `palisade demo`: the example cluster's connectivity
/// matrix and one explained denial.
pub fn demo(out: &Output) -> Exit {
    demo::run(out)
}

/// Prints each path as `WORD from => to PROTOCOL/port` with its reasons
/// indented below.
fn print_paths(out: &Output, word: &str, paths: &[PathFinding]) {
    for finding in paths {
        let ports = match &finding.ports {
            None => "*".to_owned(),
            Some(r) if r.start() == r.end() => r.start().to_string(),
            Some(r) => format!("{}-{}", r.start(), r.end()),
        };
        let (from, to, protocol) = (&finding.from, &finding.to, finding.protocol);
        out.line(&format!("{word} {from} => {to} {protocol}/{ports}"));
        for reason in &finding.because {
            out.line(&format!("  {reason}"));
        }
    }
}
