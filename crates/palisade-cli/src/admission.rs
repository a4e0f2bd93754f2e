//! `palisade admission …`: its commands arrive with the admission issue.

mod review;
mod verify;

use clap::{Args, Subcommand};

use crate::exit::Exit;
use crate::output::Output;

mod cert;
mod serve;

/// The `admission` command group.
#[derive(Debug, Args)]
pub struct Group {
    /// The command to run.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Commands of the `admission` group.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Answer an AdmissionReview (`admission.k8s.io/v1`) with the loaded policies.
    Review(review::ReviewArgs),
    /// Run Gatekeeper `suite.yaml` files like `gator verify`.
    Verify(verify::VerifyArgs),
    /// Serve policies as a validating admission webhook over HTTPS.
    Serve(serve::ServeArgs),
    /// Write a development CA and a webhook server certificate signed by it.
    Cert(cert::CertArgs),
}

/// Runs a command of the group.
pub fn run(out: &Output, group: Group) -> Exit {
    match group.command {
        Some(command) => match command {
            Command::Review(args) => review::run(out, &args),
            Command::Verify(args) => verify::run(out, &args),
            Command::Serve(args) => serve::run(out, args),
            Command::Cert(args) => cert::run(out, &args),
        },
        None => {
            out.error("no admission commands yet; see `palisade admission --help`");
            Exit::InputError
        }
    }
}

/// This layer's part of `palisade demo`, on built-in data. Prints nothing
/// until the layer lands.
pub fn demo(_out: &Output) -> Exit {
    Exit::Ok
}
