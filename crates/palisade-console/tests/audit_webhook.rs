//! The console as the API server's audit webhook backend, over HTTPS on
//! loopback: an `EventList` with an exec into a pod, posted as the API
//! server posts it, gives the alert once, deduplicated, with the k8s_audit
//! rule's output; events no rule matches store nothing; a body that is not
//! audit events is refused whole with its line.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "tests fail by panicking"
)]

mod harness;

use harness::{Console, config};
use serde_json::{Value, json};

/// Falco-syntax rules of the `k8s_audit` source (and one syscall rule that
/// audit events never run).
const RULES: &str = r#"
- required_plugin_versions:
    - name: k8saudit
      version: 0.7.0
- rule: Exec into pod
  desc: a user ran a command in a pod
  condition: ka.verb = create and ka.target.resource = pods and ka.target.subresource in (exec, attach)
  output: exec into pod (user=%ka.user.name pod=%ka.target.namespace/%ka.target.name command=%ka.uri.param[command])
  priority: WARNING
  source: k8s_audit
- rule: Any execve
  desc: a syscall rule
  condition: evt.type = execve
  output: execve %proc.name
  priority: WARNING
"#;

/// One audit event, as the API server writes it.
fn event(id: u32, verb: &str, subresource: Option<&str>, uri: &str) -> Value {
    let mut object_ref =
        json!({"resource": "pods", "namespace": "shop", "name": "web-0", "apiVersion": "v1"});
    if let Some(sub) = subresource {
        object_ref["subresource"] = json!(sub);
    }
    json!({
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "level": "Request",
        "auditID": format!("6e9f3b52-0000-4000-8000-{id:012}"),
        "stage": "ResponseStarted",
        "requestURI": uri,
        "verb": verb,
        "user": {"username": "alice", "groups": ["system:authenticated"]},
        "sourceIPs": ["10.0.0.7"],
        "userAgent": "kubectl/v1.31.0",
        "objectRef": object_ref,
        "responseStatus": {"metadata": {}, "code": 101},
        "requestReceivedTimestamp": "2026-12-07T04:10:00.000000Z",
        "stageTimestamp": format!("2026-12-07T04:10:{id:02}.000000Z"),
        "annotations": {"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": ""}
    })
}

fn event_list(items: Vec<Value>) -> String {
    json!({"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "metadata": {}, "items": items})
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_webhook_alerts_once_deduplicated() {
    let inputs = harness::temp("audit-inputs");
    std::fs::write(inputs.join("k8s-audit-rules.yaml"), RULES).unwrap();
    let dir = harness::temp("audit-db");
    let mut config = config("audit", &dir.join("palisade.db").display().to_string());
    config.policies = inputs;
    let console = Console::start(config).await;

    let exec = "/api/v1/namespaces/shop/pods/web-0/exec?command=sh&container=web&stdin=true";
    let get = "/api/v1/namespaces/shop/pods/web-0";
    let body = event_list(vec![
        event(1, "create", Some("exec"), exec),
        event(2, "get", None, get),
        event(3, "create", Some("exec"), exec),
    ]);
    let (status, answer) = console.post("/api/v1/audit?cluster=prod", &body).await;
    assert_eq!(
        (status, answer.clone()),
        (200, json!({"accepted": 3})),
        "{answer}"
    );
    // The same batch again (the API server retrying): still one alert.
    let (status, _) = console.post("/api/v1/audit?cluster=prod", &body).await;
    assert_eq!(status, 200);

    let alerts = console.alerts("Exec into pod").await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let alert = &alerts[0];
    assert_eq!(alert["count"], 4);
    assert_eq!(alert["cluster"], "prod");
    assert_eq!(alert["priority"], "Warning");
    assert_eq!(
        alert["output"].as_str().unwrap(),
        "exec into pod (user=alice pod=shop/web-0 command=sh)"
    );
    assert_eq!(alert["fields"]["ka.uri.param[command]"], "sh");
    assert_eq!(alert["fields"]["ka.user.name"], "alice");
    // The syscall rule never ran on audit events.
    assert!(console.alerts("Any execve").await.is_empty());

    // Not audit events: refused whole, with the line; nothing stored.
    let bad = format!(
        "{}\n{{\"kind\": 0}}\n",
        event(4, "create", Some("exec"), exec)
    );
    let refusal = console.refusal("/api/v1/audit", bad.as_bytes()).await;
    assert_eq!(
        refusal.as_deref(),
        Some(
            r#"400 {"error":"line 2, column 1: data not recognized as a k8s audit event (`kind` is 0)","line":2}"#
        )
    );
    assert_eq!(console.alerts("Exec into pod").await[0]["count"], 4);
    console.stop().await;
}
