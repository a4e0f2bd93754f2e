//! The command line of `palisade admission serve`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

/// Arguments of `palisade admission serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Directories (or files) of policies: Gatekeeper templates and
    /// constraints, Kyverno-style pattern policies. Read again when they change.
    #[arg(long = "policies", value_name = "DIR", num_args = 1..)]
    pub policies: Vec<PathBuf>,
    /// Also serve the built-in policy pack (served alone when no `--policies`
    /// is given).
    #[arg(long)]
    pub builtin: bool,
    /// Directories (or files) of Kyverno `ClusterPolicy`/`Policy` with
    /// `mutate` rules, served at `POST /mutate` (a mutating webhook; the
    /// answer carries a JSON Patch). Read again when they change.
    #[arg(long = "mutate-policies", value_name = "DIR", num_args = 1..)]
    pub mutate_policies: Vec<PathBuf>,
    /// Also serve the built-in remediation pack at `POST /mutate` (the
    /// Pod Security settings `admission fix` applies), before
    /// `--mutate-policies`.
    #[arg(long)]
    pub remediation_pack: bool,
    /// Also serve Pod Security Admission: Pods are checked at the levels
    /// the `pod-security.kubernetes.io/*` labels of their Namespace (from
    /// `--inventory`) set; a Namespace not in the inventory is an error.
    #[arg(long)]
    pub pod_security: bool,
    /// Directories (or files) of cluster objects the policies may look up:
    /// Namespaces (for `namespaceSelector`) and the objects of Gatekeeper's
    /// `data.inventory`. Read again when they change.
    #[arg(long = "inventory", value_name = "DIR", num_args = 1..)]
    pub inventory: Vec<PathBuf>,
    /// Which implementation of Gatekeeper templates runs: `auto` (CEL where
    /// a template has `K8sNativeValidation`, Rego otherwise, as Gatekeeper
    /// does), `rego` or `cel` (constraints of templates without it are not served).
    #[arg(long, value_name = "ENGINE", default_value = "auto")]
    pub engine: palisade::admission::gatekeeper::EngineChoice,
    /// The address to listen on, e.g. `0.0.0.0:8443` (port 0: any free port;
    /// the bound address is printed on standard output).
    #[arg(long, value_name = "ADDR")]
    pub listen: SocketAddr,
    /// The server certificate chain (PEM), reloaded when the file changes.
    #[arg(long, value_name = "FILE")]
    pub tls_cert: PathBuf,
    /// The server private key (PEM: PKCS#8, PKCS#1 or SEC1), reloaded when
    /// the file changes.
    #[arg(long, value_name = "FILE")]
    pub tls_key: PathBuf,
    /// The answer when a request's evaluation exceeds `--timeout`: `fail`
    /// denies it, `ignore` admits it with a warning.
    #[arg(long, value_enum, default_value_t = FailurePolicy::Fail)]
    pub failure_policy: FailurePolicy,
    /// The evaluation deadline of one request (`500ms`, `2s`, `1m`); keep it
    /// below the webhook's `timeoutSeconds`.
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = palisade::duration::parse)]
    pub timeout: Duration,
    /// The largest request body accepted; larger ones get `413`.
    #[arg(long, value_name = "BYTES", default_value_t = 3 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// How often policy directories and certificate files are checked for
    /// changes.
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = palisade::duration::parse)]
    pub reload_interval: Duration,
    /// How long in-flight requests may take to finish after SIGTERM or
    /// ctrl-c before connections are closed.
    #[arg(long, value_name = "DURATION", default_value = "20s", value_parser = palisade::duration::parse)]
    pub shutdown_timeout: Duration,
    /// Forward every decision to the console at this base URL
    /// (`https://palisade-console.palisade.svc`), in batches, without
    /// waiting: a console that is down or slow never slows admission.
    #[arg(long, value_name = "URL")]
    pub console: Option<String>,
    /// The CA certificates (PEM) to trust for `--console` (default: the
    /// public web's roots).
    #[arg(long, value_name = "FILE", requires = "console")]
    pub console_ca: Option<PathBuf>,
    /// A file holding the console's bearer token (its `--token-file`).
    #[arg(long, value_name = "FILE", requires = "console")]
    pub console_token_file: Option<PathBuf>,
    /// Decisions waiting for the console at most; beyond, new ones are
    /// dropped and counted (`palisade_webhook_console_dropped_total`).
    #[arg(long, value_name = "N", default_value_t = 10_000, requires = "console")]
    pub console_queue: usize,
    /// The cluster this webhook serves, as the console names it.
    #[arg(long, value_name = "NAME", default_value = "default")]
    pub cluster: String,
}

/// What to answer when evaluation exceeds its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailurePolicy {
    /// Deny the request (fail closed).
    Fail,
    /// Admit the request with a warning (fail open).
    Ignore,
}

impl FailurePolicy {
    /// The name used on the command line, in logs and in metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            FailurePolicy::Fail => "fail",
            FailurePolicy::Ignore => "ignore",
        }
    }
}
