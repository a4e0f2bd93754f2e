//! `palisade network …`: its commands arrive with the network issue.

use clap::{Args, Subcommand};

use crate::exit::Exit;
use crate::output::Output;

/// The `network` command group.
#[derive(Debug, Args)]
pub struct Group {
    /// The command to run.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Commands of the `network` group.
#[derive(Debug, Subcommand)]
pub enum Command {}

/// Runs a command of the group.
pub fn run(out: &Output, group: Group) -> Exit {
    match group.command {
        Some(command) => match command {},
        None => {
            out.error("no network commands yet; see `palisade network --help`");
            Exit::InputError
        }
    }
}

/// This layer's part of `palisade demo`, on built-in data. Prints nothing
/// until the layer lands.
pub fn demo(_out: &Output) -> Exit {
    Exit::Ok
}
