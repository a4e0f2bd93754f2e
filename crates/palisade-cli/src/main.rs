//! `palisade`: admission, runtime and network policy from one command line.
//!
//! Exit codes (the contract scripts and CI pipelines rely on):
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success: the input is allowed, no rule fired, every case passed |
//! | 1 | a policy violation: denied, an alert, a failed test case |
//! | 2 | a usage or input error: bad arguments, unreadable or malformed input |

mod admission;
mod args;
mod console;
mod demo;
mod exit;
mod install;
mod manifests;
mod network;
mod output;
mod report;
mod runtime;
mod score;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use crate::args::{Cli, Command};
use crate::output::Output;

/// mimalloc: the webhook (`admission serve`) allocates and frees a JSON tree
/// per review, and spent a fifth of its CPU time in glibc's allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Output::new(&cli.global);
    let code = match cli.command {
        Command::Admission(command) => admission::run(&out, command),
        Command::Runtime(command) => runtime::run(&out, command),
        Command::Network(command) => network::run(&out, command),
        Command::Manifests(args) => manifests::run(&out, &args),
        Command::Report(args) => report::run(&out, &args),
        Command::Score(args) => score::run(&out, &args),
        Command::Console(args) => console::run(&out, *args),
        Command::Demo => demo::run(&out),
        Command::Completions(args) => install::completions(&out, &args, Cli::command()),
        Command::Manpages(args) => install::manpages(&out, &args, Cli::command()),
    };
    code.into()
}
