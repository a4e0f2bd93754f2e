//! `palisade network check`: one flow, its verdict and the reasons.

use clap::Args;
use palisade::network::Protocol;
use palisade::network::{Flow, FlowVerdict as Verdict};
use serde::Serialize;

use super::load;
use crate::exit::Exit;
use crate::output::{Output, Style};

/// Arguments of `palisade network check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The source: `NS/NAME` of a workload (or `NS/NAME[Kind]`), an IP
    /// address, or a Cilium entity (`entity:host`, `entity:kube-apiserver`, ...).
    #[arg(long, value_name = "NS/NAME|IP")]
    pub from: String,
    /// The destination: `NS/NAME` of a workload (or `NS/NAME[Kind]`), an IP
    /// address, or a Cilium entity (`entity:host`, ...).
    #[arg(long, value_name = "NS/NAME|IP")]
    pub to: String,
    /// The destination port.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub port: u16,
    /// The protocol: TCP, UDP or SCTP.
    #[arg(long, default_value = "TCP")]
    pub protocol: String,
    /// The manifests: positional, or `--policies` and `--inventory`.
    #[command(flatten)]
    pub manifests: load::Manifests,
}

/// A verdict in JSON output.
#[derive(Serialize)]
pub struct CheckJson {
    from: String,
    to: String,
    protocol: &'static str,
    port: u16,
    allowed: bool,
    conditional: bool,
    egress_allowed: bool,
    ingress_allowed: bool,
    because: Vec<palisade::network::Explained>,
}

/// Runs `palisade network check`.
pub fn run(out: &Output, args: &CheckArgs) -> Exit {
    let Some(protocol) = Protocol::parse(&args.protocol) else {
        out.error(&format!(
            "unknown protocol `{}` (expected TCP, UDP or SCTP)",
            args.protocol
        ));
        return Exit::InputError;
    };
    let Some(resolver) = args.manifests.resolver(out) else {
        return Exit::InputError;
    };
    let end = |text: &str| {
        let found = resolver.flow_end(text);
        if found.is_none() {
            out.error(&format!(
                "no workload `{text}` in the manifests (expected NS/NAME, NS/NAME[Kind] or an IP address)"
            ));
        }
        found
    };
    let (Some(src), Some(dst)) = (end(&args.from), end(&args.to)) else {
        return Exit::InputError;
    };
    let verdict = resolver.check(&Flow {
        src,
        dst,
        protocol,
        port: args.port,
    });
    print(out, &verdict);
    if verdict.allowed {
        Exit::Ok
    } else {
        Exit::Violation
    }
}

/// The JSON form of a verdict.
pub fn json(verdict: &Verdict) -> CheckJson {
    let flow = verdict.flow_ref();
    CheckJson {
        from: flow.from,
        to: flow.to,
        protocol: verdict.flow.protocol.as_str(),
        port: verdict.flow.port,
        allowed: verdict.allowed,
        conditional: verdict.allowed && !verdict.conditions.is_empty(),
        egress_allowed: verdict.egress_allowed,
        ingress_allowed: verdict.ingress_allowed,
        because: verdict.explained(),
    }
}

/// Prints a verdict with its explanation.
pub fn print(out: &Output, verdict: &Verdict) {
    let flow = verdict.flow_ref();
    if out.json() {
        out.print_json(&json(verdict));
        return;
    }
    let word = if verdict.unconditionally_allowed() {
        out.paint(Style::Green, "ALLOWED")
    } else if verdict.allowed {
        out.paint(Style::Yellow, "ALLOWED (conditionally)")
    } else {
        out.paint(Style::Red, "DENIED")
    };
    out.line(&format!("{word} {flow}"));
    for line in verdict.explanation() {
        out.line(&format!("  {line}"));
    }
}
