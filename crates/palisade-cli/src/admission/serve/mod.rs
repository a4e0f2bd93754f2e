//! `palisade admission serve`: a validating and mutating admission
//! webhook, the HTTPS server a Kubernetes API server calls with
//! AdmissionReviews.
//!
//! - [`args`]: the command line;
//! - `app`: the state every handler shares;
//! - `server`: routes, TLS accept loop, graceful shutdown;
//! - `validate`: `POST /validate`;
//! - `mutate`: `POST /mutate` (mutate policies, answered with a JSON Patch);
//! - `wire`: AdmissionReview JSON read and written in one pass;
//! - `policies`: loading and atomically swapping the policy set;
//! - `inventory`: cluster objects (Namespaces, `data.inventory`) from files;
//! - `reload`: polling policy and certificate files for changes;
//! - TLS, the accept loop and shutdown signals: the `palisade-https` crate;
//! - `console`: decisions forwarded to the console (`--console`);
//! - `metrics`: Prometheus metrics;
//! - `logs`: log lines written to standard error off the request path.

mod app;
pub mod args;
mod console;
mod error;
mod inventory;
mod logs;
mod metrics;
mod mutate;
mod paths;
mod policies;
mod reload;
mod server;
mod validate;
mod wire;

use std::io::IsTerminal;

pub use args::ServeArgs;
use error::{RuntimeError, ServeError};

use crate::exit::Exit;
use crate::output::Output;

/// Runs the webhook server until SIGTERM or ctrl-c.
pub fn run(out: &Output, args: ServeArgs) -> Exit {
    let logs = init_logging(out.json());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("palisade-webhook")
        .build()
        .map_err(|source| ServeError::from(RuntimeError { source }));
    let result = runtime.and_then(|runtime| {
        let result = runtime.block_on(server::serve(args));
        // An evaluation abandoned at its deadline may still be running on
        // the blocking pool; do not wait for it.
        runtime.shutdown_timeout(std::time::Duration::from_secs(1));
        result
    });
    // Every buffered log line is out before the final message.
    drop(logs);
    match result {
        Ok(()) => Exit::Ok,
        Err(error) => {
            out.error(&error.to_string());
            Exit::InputError
        }
    }
}

/// Structured logs to standard error: text, or JSON lines with
/// `--format json`; the level from `RUST_LOG` (default `info`). Lines are
/// written by a background thread; the returned guard
/// writes what is left when dropped.
pub fn init_logging(json: bool) -> logs::LogGuard {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let (sink, flusher) = logs::start(std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(sink)
        .with_ansi(std::io::stderr().is_terminal());
    // Only fails when a subscriber is already set, which is then kept.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    flusher
}
