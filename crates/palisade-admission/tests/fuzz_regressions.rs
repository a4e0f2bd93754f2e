//! Replays `fuzz/regressions/{admission_review,pattern_policy}/*` through
//! the code paths of those fuzz targets: each input is refused with an
//! error, not a crash.

use palisade_admission::AdmissionReview;

#[test]
fn admission_review_regressions_replay() {
    palisade_testkit::fuzz::replay("regressions/admission_review", 1, |data| {
        let text = String::from_utf8_lossy(data);
        match AdmissionReview::from_json_str(&text) {
            Ok(_) => Err("accepted".to_owned()),
            Err(_) => Ok(()),
        }
    });
}

#[test]
fn pattern_policy_regressions_replay() {
    palisade_testkit::fuzz::replay_refused("regressions/pattern_policy", 1, |text| {
        palisade_admission::pattern::load_str("fuzz.yaml", text)
            .errors
            .len()
    });
}

/// The `cel_policy` fuzz target's path: the input as CEL policies
/// (ValidatingAdmissionPolicy + binding, Kyverno ValidatingPolicy,
/// Gatekeeper CEL templates) reviewing a privileged Pod, and its first line
/// as one expression. Returns whether the Pod was denied.
fn cel_policy_path(data: &[u8]) -> bool {
    use palisade_admission::cel::{Environment, admission_policy, kyverno_policy, request};
    use palisade_admission::{AdmissionRequest, Context, PolicySet};
    let text = String::from_utf8_lossy(data);
    let pod = serde_json::json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default", "labels": {"app": "x"}},
        "spec": {"containers": [{"name": "c", "image": "nginx:latest", "securityContext": {"privileged": true}}]}});
    let Ok(request) = AdmissionRequest::from_object(pod) else {
        return false;
    };
    let context = Context::with_objects([
        serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}}),
    ]);
    if let Some(line) = text.lines().next() {
        let env = Environment::admission();
        if let Ok(expression) = env.compile(line, "fuzz", None) {
            let inputs = request::inputs(&request, &context, None);
            let mut activation = cel_core::MapActivation::new();
            activation.insert("object", inputs.object.clone());
            let _ = expression.evaluate(&activation, inputs.nodes);
        }
    }
    let manifests = palisade_core::manifest::load_str("fuzz.yaml", &text).objects;
    let mut set = PolicySet::new();
    for p in admission_policy::load_manifests(&manifests).policies {
        set.add(p);
    }
    for p in kyverno_policy::load_manifests(&manifests).policies {
        set.add(p);
    }
    for p in palisade_admission::gatekeeper::load_manifests(&manifests).policies {
        set.add(p);
    }
    !set.review(&request, &context).allowed
}

#[test]
fn cel_policy_seeds_replay() {
    palisade_testkit::fuzz::replay("seeds/cel_policy", 7, |data| {
        cel_policy_path(data);
        Ok(())
    });
    // The first seed is the privileged-container policy: it denies.
    let seed = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/seeds/cel_policy/seed-00"),
    )
    .unwrap_or_default();
    assert!(cel_policy_path(&seed), "seed-00 denies the privileged Pod");
}
