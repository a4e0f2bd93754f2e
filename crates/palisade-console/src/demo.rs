//! The demo's built-in stream: the example events posted to the console's
//! own `POST /api/v1/events` every two seconds, as a node agent would.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Posts the events of `file` to the console at `addr` every two seconds,
/// over HTTPS (the demo's own development certificate is not checked:
/// this client only talks to the process it runs in).
pub async fn stream(addr: SocketAddr, file: PathBuf) {
    let Ok(events) = tokio::fs::read_to_string(&file).await else {
        tracing::warn!(file = %file.display(), "demo events not found");
        return;
    };
    let url = format!(
        "https://127.0.0.1:{}/api/v1/events?cluster=demo",
        addr.port()
    );
    loop {
        let url = url.clone();
        let body = events.clone();
        let sent = tokio::task::spawn_blocking(move || post(&url, &body)).await;
        if let Ok(Err(e)) = sent {
            tracing::warn!(error = %e, "demo stream: post failed");
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

fn post(url: &str, body: &str) -> Result<(), String> {
    let tls = ureq::tls::TlsConfig::builder()
        .disable_verification(true)
        .build();
    let agent = ureq::Agent::new_with_config(ureq::Agent::config_builder().tls_config(tls).build());
    agent
        .post(url)
        .send(body)
        .map(|_| ())
        .map_err(|e| e.to_string())
}
