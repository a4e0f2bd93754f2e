//! `palisade runtime …`: its commands arrive with the runtime issues.

use clap::{Args, Subcommand};

use crate::exit::Exit;
use crate::output::Output;

mod disasm;
mod fields;
mod filter;
mod replay;

/// The `runtime` command group.
#[derive(Debug, Args)]
pub struct Group {
    /// The command to run.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Commands of the `runtime` group.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the events a condition matches (`evt.num`, or the line number).
    Filter(filter::FilterArgs),
    /// Run rules files over recorded events; one line per alert.
    Replay(replay::ReplayArgs),
    /// Show the bytecode of rules or of one condition.
    Disasm(disasm::DisasmArgs),
    /// List the fields conditions can use.
    Fields,
}

/// Runs a command of the group.
pub fn run(out: &Output, group: Group) -> Exit {
    match group.command {
        Some(command) => match command {
            Command::Filter(args) => filter::run(out, &args),
            Command::Replay(args) => replay::run(out, &args),
            Command::Disasm(args) => disasm::run(out, &args),
            Command::Fields => fields::run(out),
        },
        None => {
            out.error("no runtime commands yet; see `palisade runtime --help`");
            Exit::InputError
        }
    }
}

/// This layer's part of `palisade demo`: built-in rules replayed over a
/// built-in event stream.
pub fn demo(out: &Output) -> Exit {
    replay::demo(out)
}
