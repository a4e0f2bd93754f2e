//! `palisade network connlist`: netpol-analyzer compatible connectivity lists.

use clap::{Args, ValueEnum};
use palisade::network::{ConnList, ConnListFormat as Format};

use super::load;
use crate::exit::Exit;
use crate::output::Output;

/// The formats of `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// `src => dst : conn` lines, as netpol-analyzer prints them.
    Txt,
    /// An array of `{src, dst, conn}`.
    Json,
    /// `src,dst,conn` rows with a header.
    Csv,
    /// A markdown table.
    Md,
    /// A Graphviz digraph.
    Dot,
}

/// Arguments of `palisade network connlist`.
#[derive(Debug, Args)]
pub struct ConnlistArgs {
    /// The output format (the global `--format json` also selects `json`).
    #[arg(long, short, value_enum, default_value_t = OutputFormat::Txt)]
    pub output: OutputFormat,
    /// The manifests: positional, or `--policies` and `--inventory`.
    #[command(flatten)]
    pub manifests: load::Manifests,
}

/// Runs `palisade network connlist`.
pub fn run(out: &Output, args: &ConnlistArgs) -> Exit {
    let Some(resolver) = args.manifests.resolver(out) else {
        return Exit::InputError;
    };
    let list = ConnList::new(&resolver);
    for warning in &list.warnings {
        out.warning(warning);
    }
    let format = match (out.json(), args.output) {
        (true, _) | (_, OutputFormat::Json) => Format::Json,
        (_, OutputFormat::Txt) => Format::Txt,
        (_, OutputFormat::Csv) => Format::Csv,
        (_, OutputFormat::Md) => Format::Md,
        (_, OutputFormat::Dot) => Format::Dot,
    };
    let text = list.render(format);
    out.line(text.trim_end_matches('\n'));
    out.note(&format!("{} connections", list.connections.len()));
    Exit::Ok
}
