//! `--console URL`: every decision forwarded to the console, queued without
//! waiting and posted in batches by `palisade_console::forward` (bounded
//! queue, drops and retries counted in `/metrics`), so a console that is
//! down or slow never slows or fails admission.

use palisade::EnforcementAction;
use palisade::admission::{AdmissionRequest, AdmissionResponse, Decision};
use palisade_console::decisions::{
    AdmissionDecision, MAX_MESSAGE, PolicyVerdict, Verdict, truncated,
};
use palisade_console::forward::{ForwardConfig, ForwardError, Forwarder};

use super::args::ServeArgs;

/// Starts forwarding when `--console` is given.
pub fn start(args: &ServeArgs) -> Result<Option<Forwarder>, ForwardError> {
    let Some(url) = &args.console else {
        return Ok(None);
    };
    let token = match &args.console_token_file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| ForwardError {
                reason: format!("cannot read `{}`: {e}", path.display()),
            })?;
            match text.trim() {
                "" => {
                    return Err(ForwardError {
                        reason: format!("token file `{}` is empty", path.display()),
                    });
                }
                token => Some(token.to_owned()),
            }
        }
        None => None,
    };
    let mut config = ForwardConfig::new(url.clone());
    config.cluster = args.cluster.clone();
    config.token = token;
    config.ca = args.console_ca.clone();
    config.queue = args.console_queue;
    Forwarder::start(config).map(Some)
}

/// The decision forwarded for one answered review: `verdict` as the logs
/// and metrics spell it, `found` what the policies found (none when a
/// policy panicked).
pub fn decision(
    request: &AdmissionRequest,
    response: &AdmissionResponse,
    verdict: &str,
    dry_run: bool,
    found: Option<&Decision>,
) -> AdmissionDecision {
    let verdict = match verdict {
        "allowed" => Verdict::Allowed,
        "denied" => Verdict::Denied,
        "timeout" => Verdict::Timeout,
        _ => Verdict::Error,
    };
    let mut policies = Vec::new();
    if let Some(found) = found {
        for v in &found.violations {
            let action = match v.action {
                EnforcementAction::Deny => "deny",
                EnforcementAction::Warn => "warn",
                EnforcementAction::Dryrun => "dryrun",
            };
            policies.push(PolicyVerdict {
                policy: v.policy.clone(),
                action: action.to_owned(),
                message: truncated(&v.message, MAX_MESSAGE).to_owned(),
            });
        }
        for e in &found.errors {
            policies.push(PolicyVerdict {
                policy: e.policy.clone(),
                action: "error".to_owned(),
                message: truncated(&e.reason, MAX_MESSAGE).to_owned(),
            });
        }
    }
    AdmissionDecision {
        time: palisade_console::store::rfc3339(palisade_console::store::now_ms()),
        uid: request.uid.clone(),
        operation: request.operation.map_or("", |o| o.as_str()).to_owned(),
        kind: request.kind.kind.clone(),
        namespace: request.namespace.clone().unwrap_or_default(),
        name: request.name.clone(),
        allowed: response.allowed,
        verdict,
        dry_run,
        policies,
    }
}
