//! Replays the admission fuzz targets' regressions and seeds
//! (`fuzz/regressions/{admission_review,pattern_policy,mutate_policy}/*`,
//! `fuzz/seeds/{cel_policy,manifest_fix}/*`) through the code paths of
//! those targets: each regression is refused with an error, not a crash.

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

/// The Kyverno policy targets (`pattern_policy`, `mutate_policy`): each
/// regression input is refused by its loader.
#[test]
fn kyverno_policy_regressions_replay() {
    use palisade_admission::{mutate, pattern};
    palisade_testkit::fuzz::replay_refused("regressions/pattern_policy", 1, |text| {
        pattern::load_str("fuzz.yaml", text).errors.len()
    });
    palisade_testkit::fuzz::replay_refused("regressions/mutate_policy", 2, |text| {
        mutate::load_str("fuzz.yaml", text).errors.len()
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

/// Replays the `manifest_fix` fuzz target's seeds (`fuzz/seeds/manifest_fix`):
/// each is a manifest that needs fixing; its objects are fixed and the text
/// is written back (a rewrite is checked to read back as the fixed objects).
#[test]
fn manifest_fix_seeds_replay() {
    use palisade_admission::mutate::fix::{Fixer, fix_text};
    let fixer = Fixer::with_pack(Vec::new());
    palisade_testkit::fuzz::replay("seeds/manifest_fix", 3, |data| {
        let text = String::from_utf8_lossy(data);
        let fixed = fix_text(&fixer, "seed.yaml", &text);
        let rewritten = fixed.text.map_err(|e| e.to_string())?;
        if fixed.objects.iter().all(|(_, f)| f.changes.is_empty()) || rewritten.text == text {
            return Err("nothing was fixed".to_owned());
        }
        Ok(())
    });
}
