//! `palisade network diff`: what a change of policies opens and closes.

use std::path::PathBuf;

use clap::Args;
use palisade::network::diff::{PolicyDiff, diff};

use super::load;
use crate::exit::Exit;
use crate::output::{Output, Style};

/// Arguments of `palisade network diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The policies before the change (with their workloads, unless
    /// `--inventory` gives them): files or directories, one or more after
    /// the flag, or the flag repeated.
    #[arg(long, required = true, value_name = "PATH", num_args = 1..)]
    pub before: Vec<PathBuf>,
    /// The policies after the change, given as `--before` gives them.
    #[arg(long, required = true, value_name = "PATH", num_args = 1..)]
    pub after: Vec<PathBuf>,
    /// The workloads, namespaces and services both sides share: files or
    /// directories.
    #[arg(long, value_name = "PATH")]
    pub inventory: Vec<PathBuf>,
}

/// Runs `palisade network diff`: exit 1 when the change opens or closes
/// a connection.
pub fn run(out: &Output, args: &DiffArgs) -> Exit {
    let cluster = |policies: &[PathBuf]| {
        let mut paths = policies.to_vec();
        paths.extend(args.inventory.iter().cloned());
        load::resolver(out, &paths)
    };
    let (Some(before), Some(after)) = (cluster(&args.before), cluster(&args.after)) else {
        return Exit::InputError;
    };
    let found = diff(&before, &after);
    let changed = !found.is_empty();
    super::report(out, &found.to_json(), || print(out, &found), changed)
}

fn print(out: &Output, found: &PolicyDiff) {
    super::print_paths(out, &out.paint(Style::Yellow, "OPENED"), &found.opened);
    super::print_paths(out, &out.paint(Style::Green, "CLOSED"), &found.closed);
    for (word, list) in [
        ("workload added:", &found.workloads.added),
        ("workload removed:", &found.workloads.removed),
    ] {
        for name in list {
            out.line(&format!("{word} {name}"));
        }
    }
    out.note(&format!(
        "{} opened, {} closed ({} pairs of ends changed)",
        found.opened.len(),
        found.closed.len(),
        found.changes.len()
    ));
}
