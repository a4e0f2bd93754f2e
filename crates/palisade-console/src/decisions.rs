//! Admission decisions as the webhook forwards them (`palisade admission
//! serve --console URL`) and the console stores them
//! (`POST /api/v1/admission`, read back with `GET /api/v1/decisions`).
//!
//! One decision is one AdmissionReview answered: the object, its namespace,
//! the verdict and the policies that spoke, with their messages. The body of
//! a forwarded batch is JSON lines of [`AdmissionDecision`]; the cluster is
//! the `?cluster=` of the call, as for every ingest endpoint.

use serde::{Deserialize, Serialize};

use crate::ingest::{BatchError, json_lines, printable};
use crate::store::{NewDecision, parse_rfc3339};

/// The longest message kept per policy (longer ones are cut by the sender).
pub const MAX_MESSAGE: usize = 4096;

/// The verdict of one review, as the webhook's logs and metrics spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Admitted (possibly with warnings).
    Allowed,
    /// Denied by a policy.
    Denied,
    /// A policy could not be evaluated (denied).
    Error,
    /// The evaluation deadline passed; answered by the failure policy.
    Timeout,
}

impl Verdict {
    /// Every verdict, in the order the summary lists them.
    pub const ALL: [Verdict; 4] = [
        Verdict::Allowed,
        Verdict::Denied,
        Verdict::Error,
        Verdict::Timeout,
    ];

    /// `allowed`, `denied`, `error` or `timeout`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allowed => "allowed",
            Verdict::Denied => "denied",
            Verdict::Error => "error",
            Verdict::Timeout => "timeout",
        }
    }
}

/// What one policy said about a reviewed object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyVerdict {
    /// The policy (constraint, pattern policy, built-in policy).
    pub policy: String,
    /// `deny`, `warn`, `dryrun` or `error`.
    pub action: String,
    /// What it found, in words for a person.
    #[serde(default)]
    pub message: String,
}

/// The actions a [`PolicyVerdict`] may carry.
pub const ACTIONS: [&str; 4] = ["deny", "warn", "dryrun", "error"];

/// One admission decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdmissionDecision {
    /// When it was answered (RFC 3339).
    pub time: String,
    /// The review's `request.uid`.
    pub uid: String,
    /// `CREATE`, `UPDATE`, `DELETE` or `CONNECT` (empty when the review had none).
    #[serde(default)]
    pub operation: String,
    /// The object's kind (`Pod`, `Deployment`, ...).
    pub kind: String,
    /// The object's namespace (empty for cluster-scoped objects).
    #[serde(default)]
    pub namespace: String,
    /// The object's name (empty on CREATE with `generateName`).
    #[serde(default)]
    pub name: String,
    /// What the API server was told.
    pub allowed: bool,
    /// Why.
    pub verdict: Verdict,
    /// A dry-run request (nothing was persisted by the API server).
    #[serde(default)]
    pub dry_run: bool,
    /// The policies that found something, in policy order.
    #[serde(default)]
    pub policies: Vec<PolicyVerdict>,
}

/// A decision read from a batch, with its time in milliseconds.
#[derive(Debug, Clone)]
pub struct Received {
    /// When it was answered (ms since the epoch).
    pub at: i64,
    /// The decision.
    pub decision: AdmissionDecision,
}

impl Received {
    /// The decision as the store keeps it.
    pub fn to_store(&self) -> NewDecision {
        let d = &self.decision;
        NewDecision {
            at: self.at,
            uid: d.uid.clone(),
            operation: d.operation.clone(),
            kind: d.kind.clone(),
            namespace: d.namespace.clone(),
            name: d.name.clone(),
            allowed: d.allowed,
            verdict: d.verdict.as_str(),
            dry_run: d.dry_run,
            policies: d
                .policies
                .iter()
                .map(|p| (p.policy.clone(), p.action.clone()))
                .collect(),
            body: serde_json::to_string(d).unwrap_or_default(),
        }
    }
}

/// Reads a forwarded batch whole: JSON lines of [`AdmissionDecision`],
/// each checked (time in RFC 3339, verdict consistent with `allowed`, known
/// actions, bounded messages). The first bad line refuses the batch.
pub fn parse(body: &str) -> Result<Vec<Received>, BatchError> {
    let lines = json_lines::<AdmissionDecision>(body)?;
    if lines.is_empty() {
        return Err(BatchError {
            error: "the body holds no admission decision".to_owned(),
            line: 0,
        });
    }
    lines
        .into_iter()
        .map(|(line, decision)| {
            let fail = |error: String| BatchError {
                error: format!("line {line}: {error}"),
                line,
            };
            let at = parse_rfc3339(&decision.time).ok_or_else(|| {
                fail(format!(
                    "`time` is not RFC 3339: `{}`",
                    printable(&decision.time)
                ))
            })?;
            let consistent = match decision.verdict {
                Verdict::Allowed => decision.allowed,
                Verdict::Denied | Verdict::Error => !decision.allowed,
                Verdict::Timeout => true,
            };
            if !consistent {
                return Err(fail(format!(
                    "verdict `{}` contradicts `allowed: {}`",
                    decision.verdict.as_str(),
                    decision.allowed
                )));
            }
            if decision.kind.is_empty() {
                return Err(fail("`kind` is empty".to_owned()));
            }
            for p in &decision.policies {
                if !ACTIONS.contains(&p.action.as_str()) {
                    return Err(fail(format!(
                        "unknown action `{}` of policy `{}`; expected one of {}",
                        printable(&p.action),
                        printable(&p.policy),
                        ACTIONS.join(", ")
                    )));
                }
                if p.message.len() > MAX_MESSAGE {
                    return Err(fail(format!(
                        "the message of policy `{}` is longer than {MAX_MESSAGE} bytes",
                        printable(&p.policy)
                    )));
                }
            }
            Ok(Received { at, decision })
        })
        .collect()
}

/// `text` cut to at most `max` bytes, at a character boundary.
pub fn truncated(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_at_a_character_boundary() {
        assert_eq!(truncated("héllo", 2), "h");
        assert_eq!(truncated("héllo", 3), "hé");
        assert_eq!(truncated("hi", 10), "hi");
    }
}
