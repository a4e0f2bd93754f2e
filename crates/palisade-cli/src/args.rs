//! The command line's shape: global options and the command tree.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::output::GlobalArgs;
use crate::{admission, network, runtime};

const AFTER_HELP: &str = "\
Exit codes:
  0  success: allowed, nothing fired, every case passed
  1  a policy violation: denied, an alert, a failed case
  2  a usage or input error";

/// Palisade: one policy engine for Kubernetes admission, runtime and network.
#[derive(Debug, Parser)]
#[command(name = "palisade", version, after_help = AFTER_HELP)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The command tree.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Deploy-time policy: Gatekeeper, Pod Security Standards, pattern policies.
    #[command(subcommand, arg_required_else_help = true)]
    Admission(admission::Command),
    /// Execution-time detection: Falco rules on system events.
    #[command(subcommand, arg_required_else_help = true)]
    Runtime(runtime::Command),
    /// Traffic-time policy: NetworkPolicy, Cilium, AdminNetworkPolicy.
    #[command(subcommand, arg_required_else_help = true)]
    Network(network::Command),
    /// List the Kubernetes objects found in files, directories or stdin (`-`).
    Manifests(ManifestsArgs),
    /// Every layer over one directory of mixed inputs: findings and policy
    /// coverage in one report (exit 1 at a finding of warning or above).
    Report(crate::report::ReportArgs),
    /// The security posture of one directory of mixed inputs: a score from
    /// 0 to 100 with the reasons behind every point lost, and the
    /// five-question form (`docs/posture.md`).
    Score(crate::score::ScoreArgs),
    /// The console: an HTTPS service over every layer's findings and
    /// alerts, with the posture and the history (SQLite or PostgreSQL).
    Console(Box<crate::console::ConsoleArgs>),
    /// Run Palisade on built-in example data.
    Demo,
    /// Write a shell completion script to standard output (bash, zsh, fish,
    /// powershell, elvish).
    Completions(crate::install::CompletionsArgs),
    /// Write a manual page for every command into a directory.
    Manpages(crate::install::ManpagesArgs),
}

/// Arguments of `palisade manifests`.
#[derive(Debug, Args)]
pub struct ManifestsArgs {
    /// Files, directories (read recursively) or `-` for standard input.
    #[arg(required = true, value_name = "FILE|DIR|-")]
    pub paths: Vec<PathBuf>,
}
