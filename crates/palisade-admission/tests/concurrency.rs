//! One admission `PolicySet` (built-in pack, a Gatekeeper template with
//! constraints evaluated by regorus, a pattern policy) shared by 8
//! threads: every decision equals the single-threaded one.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a failing test is the point"
)]

use palisade_admission::builtin::BuiltinPack;
use palisade_admission::{AdmissionRequest, Context, Decision, PolicySet};
use serde_json::json;

fn policies() -> PolicySet {
    let mut set = BuiltinPack::default().policy_set();
    let mut manifests = palisade_core::manifest::load_str(
        "template.yaml",
        include_str!("bad_input/fixtures/template.yaml"),
    )
    .objects;
    manifests.extend(
        palisade_core::manifest::load_str(
            "constraint.yaml",
            include_str!("bad_input/fixtures/constraint.yaml"),
        )
        .objects,
    );
    let loaded = palisade_admission::gatekeeper::load_manifests(&manifests);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    assert_eq!(loaded.policies.len(), 1);
    for p in loaded.policies {
        set.add(p);
    }
    let pattern = palisade_admission::pattern::load_str(
        "pattern.yaml",
        r#"
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: no-latest
spec:
  validationFailureAction: Enforce
  rules:
    - name: pinned
      match:
        any:
          - resources:
              kinds: [Pod]
      validate:
        message: "images must be pinned"
        pattern:
          spec:
            containers:
              - image: "!*:latest"
"#,
    );
    assert!(pattern.errors.is_empty(), "{:?}", pattern.errors);
    for p in pattern.policies {
        set.add(p);
    }
    set
}

fn requests() -> Vec<AdmissionRequest> {
    let images = [
        "nginx:latest",
        "nginx:1.27",
        "evil.io/x:1",
        "registry.k8s.io/pause:3.9",
    ];
    (0..24)
        .map(|i| {
            let mut labels = serde_json::Map::new();
            if i % 2 == 0 {
                labels.insert("owner".into(), json!("me"));
            }
            AdmissionRequest::from_object(json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": format!("p{i}"), "namespace": "default", "labels": labels},
                "spec": {"containers": [{
                    "name": "c", "image": images[i % images.len()],
                    "securityContext": {"privileged": i % 3 == 0},
                    "resources": if i % 5 == 0 { json!({}) } else { json!({"limits": {"cpu": "1", "memory": "1Gi"}}) }
                }]}
            }))
            .unwrap()
        })
        .collect()
}

fn decide(set: &PolicySet, requests: &[AdmissionRequest]) -> Vec<Decision> {
    let context = Context::new();
    requests.iter().map(|r| set.evaluate(r, &context)).collect()
}

#[test]
fn shared_policy_set_gives_the_same_decisions_on_8_threads() {
    let set = policies();
    let requests = requests();
    let expected = decide(&set, &requests);
    assert!(
        expected.iter().any(Decision::allowed) || expected.iter().all(|d| !d.violations.is_empty())
    );
    assert!(expected.iter().any(|d| !d.allowed()));
    assert!(expected.iter().all(|d| d.errors.is_empty()), "{expected:?}");
    palisade_testkit::threads::agree(8, 5, &expected, || decide(&set, &requests));
}
