//! HTTP sink: each alert is POSTed as Falco's JSON object, with a timeout
//! per attempt and retries with exponential backoff. It runs on its
//! [`SinkWorker`](super::SinkWorker)'s thread, so a slow or dead server
//! fills (and overflows, counted) the worker's queue, never the matcher.

use std::time::Duration;

use super::{Sink, SinkError};
use crate::alerts::Alert;

/// How an [`HttpSink`] posts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// The URL alerts are POSTed to (`http://…`; `https` needs a TLS
    /// build of the client, which this crate does not include).
    pub url: String,
    /// The whole time one attempt may take (connect, send, answer).
    pub timeout: Duration,
    /// Attempts after the first one.
    pub retries: u32,
    /// Wait before the first retry; doubled for each next one, at most
    /// [`MAX_BACKOFF`].
    pub backoff: Duration,
}

/// The longest wait between two attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(10);

impl HttpConfig {
    /// Defaults for `url`: 5 s timeout, 3 retries, 200 ms first backoff.
    pub fn new(url: impl Into<String>) -> HttpConfig {
        HttpConfig {
            url: url.into(),
            timeout: Duration::from_secs(5),
            retries: 3,
            backoff: Duration::from_millis(200),
        }
    }
}

/// POSTs alerts as JSON.
pub struct HttpSink {
    name: String,
    config: HttpConfig,
    agent: ureq::Agent,
}

impl std::fmt::Debug for HttpSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSink")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl HttpSink {
    /// A sink posting as `config` says.
    pub fn new(config: HttpConfig) -> HttpSink {
        let agent_config = ureq::Agent::config_builder()
            .timeout_global(Some(config.timeout))
            .http_status_as_error(false)
            .proxy(None)
            .build();
        HttpSink {
            name: format!("http:{}", config.url),
            agent: ureq::Agent::new_with_config(agent_config),
            config,
        }
    }

    fn attempt(&self, body: &[u8]) -> Result<(), String> {
        let response = self
            .agent
            .post(&self.config.url)
            .content_type("application/json")
            .send(body)
            .map_err(|e| e.to_string())?;
        let status = response.status();
        // Read the answer so the connection can be reused.
        let _ = response.into_body().read_to_vec();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("server answered {status}"))
        }
    }
}

impl Sink for HttpSink {
    fn name(&self) -> &str {
        &self.name
    }

    fn deliver(&mut self, alert: &Alert) -> Result<(), SinkError> {
        let mut body = Vec::with_capacity(512);
        alert.write_json(&mut body).map_err(|e| SinkError::Http {
            sink: self.name.clone(),
            message: e.to_string(),
        })?;
        let mut wait = self.config.backoff;
        let mut last = String::new();
        for attempt in 0..=self.config.retries {
            match self.attempt(&body) {
                Ok(()) => return Ok(()),
                Err(e) => last = e,
            }
            if attempt < self.config.retries {
                std::thread::sleep(wait);
                wait = (wait * 2).min(MAX_BACKOFF);
            }
        }
        Err(SinkError::Http {
            sink: self.name.clone(),
            message: format!("gave up after {} attempts: {last}", self.config.retries + 1),
        })
    }
}
