//! `palisade runtime …`: filter, replay, disasm, fields, parse, validate,
//! events.

use clap::Subcommand;

use crate::exit::Exit;
use crate::output::Output;

mod alerts;
mod disasm;
mod events;
mod fields;
mod filter;
mod parse;
mod replay;
mod validate;

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
    /// Parse a condition (no schema, no macros) and print its canonical form.
    Parse(parse::ParseArgs),
    /// Load and compile rules files; print counts, warnings and errors.
    Validate(validate::ValidateArgs),
    /// Print the events of a `.scap` capture, one per line, as `sysdig -j`.
    Events(events::EventsArgs),
}

/// Runs a command of the group.
pub fn run(out: &Output, command: Command) -> Exit {
    match command {
        Command::Filter(args) => filter::run(out, &args),
        Command::Replay(args) => alerts::run(out, &args),
        Command::Disasm(args) => disasm::run(out, &args),
        Command::Fields => fields::run(out),
        Command::Parse(args) => parse::run(out, &args),
        Command::Validate(args) => validate::run(out, &args),
        Command::Events(args) => events::run(out, &args),
    }
}

/// This layer's part of `palisade demo`: built-in rules replayed over a
/// built-in event stream.
pub fn demo(out: &Output) -> Exit {
    alerts::demo(out)
}
