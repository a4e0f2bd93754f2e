//! The on-call sink: an HTTP webhook that receives CRITICAL and ERROR
//! alerts, at most once per alert per dedup window, as plain JSON or
//! Slack's incoming-webhook body.

use serde_json::json;

use crate::store::StoredAlert;

/// Where on-call alerts go.
#[derive(Debug, Clone)]
pub struct Oncall {
    url: String,
    slack: bool,
}

/// Slack's escaping of `&`, `<` and `>`, and control characters dropped.
fn slack_text(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

impl Oncall {
    /// A sink at `url`.
    pub fn new(url: String, slack: bool) -> Oncall {
        Oncall { url, slack }
    }

    /// The body sent for `alert`.
    pub fn body(&self, alert: &StoredAlert) -> serde_json::Value {
        if self.slack {
            json!({
                "text": slack_text(&format!(
                    "[{}] {} (cluster {}, seen {} times): {}",
                    alert.priority, alert.rule, alert.cluster, alert.count, alert.output
                )),
            })
        } else {
            json!({
                "id": alert.id,
                "rule": alert.rule,
                "priority": alert.priority,
                "cluster": alert.cluster,
                "count": alert.count,
                "first_seen": alert.first_seen,
                "last_seen": alert.last_seen,
                "output": alert.output,
                "fields": alert.fields,
            })
        }
    }

    /// Posts `alert` (blocking: call from a blocking task).
    pub fn send(&self, alert: &StoredAlert) -> Result<(), String> {
        let agent = ureq::Agent::new_with_config(
            ureq::Agent::config_builder()
                .timeout_global(Some(std::time::Duration::from_secs(5)))
                .build(),
        );
        agent
            .post(&self.url)
            .send_json(self.body(alert))
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}
