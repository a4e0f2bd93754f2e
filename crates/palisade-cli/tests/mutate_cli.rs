//! `palisade admission mutate` and `admission test` with `patchedResource`
//! on the Kyverno mutate corpus (skipped with a notice when it is absent).

use std::process::Output;

use palisade_testkit::command::{arg, assert_exit, stdout_json, text};
use serde_json::Value;

fn palisade(args: &[&str]) -> Output {
    palisade_testkit::command::run(env!("CARGO_BIN_EXE_palisade"), args)
}

/// The documents of a YAML text, as JSON data.
fn documents(text: &str) -> Vec<Value> {
    palisade::manifest::load_str("out.yaml", text)
        .objects
        .into_iter()
        .map(|m| m.object)
        .collect()
}

#[test]
fn mutate_prints_patched_objects_and_their_patches() {
    let Some(root) = palisade_testkit::corpus("admission/kyverno-mutate") else {
        return;
    };
    let dir = root.join("other/add-imagepullsecrets");
    let policy = dir.join("add-imagepullsecrets.yaml");
    let resources = dir.join(".kyverno-test/resource.yaml");
    let mutate = |format: &str| {
        let out = palisade(&[
            "--format",
            format,
            "admission",
            "mutate",
            "--policies",
            arg(&policy),
            arg(&resources),
        ]);
        assert_exit(&out, 0);
        out
    };
    // Text, the default: every object as YAML, mutated or not; the mutated
    // one equals the corpus's expected patched resource as data.
    let objects = documents(&text(&mutate("text").stdout));
    assert_eq!(objects.len(), 3);
    let expected =
        std::fs::read_to_string(dir.join(".kyverno-test/patchedResource1.yaml")).unwrap();
    assert_eq!(objects[0], documents(&expected)[0]);
    // JSON: one entry per object with its position and patches.
    let doc = stdout_json(&mutate("json"));
    let first = &doc[0];
    assert_eq!(
        (
            &first["file"],
            &first["line"],
            &first["column"],
            &first["object"]
        ),
        (
            &arg(&resources).into(),
            &1.into(),
            &1.into(),
            &"Pod myapp-pod-1".into()
        )
    );
    assert_eq!(
        first["patches"],
        serde_json::json!([{"op": "add", "path": "/spec/imagePullSecrets",
            "value": [{"name": "my-secret"}], "policy": "add-imagepullsecrets",
            "rule": "add-imagepullsecret"}])
    );
    assert_eq!(doc[1]["patches"], serde_json::json!([]));
}

#[test]
fn mutate_refuses_bad_policies_with_positions() {
    let dir = std::env::temp_dir().join(format!("palisade-mutate-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let policy = dir.join("bad.yaml");
    std::fs::write(
        &policy,
        "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: bad}\nspec:\n  rules:\n  - name: r\n    match: {any: [{resources: {kinds: [Pod]}}]}\n    mutate:\n      patchStrategicMerge:\n        metadata: {labels: {a: \"{{ request.object.metadata.[ }}\"}}\n",
    )
    .unwrap();
    let pod = dir.join("pod.yaml");
    std::fs::write(&pod, "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n").unwrap();
    let out = palisade(&["admission", "mutate", "--policies", arg(&policy), arg(&pod)]);
    assert_exit(&out, 2);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!("{}:10:", arg(&policy))),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn admission_test_checks_patched_resources() {
    let Some(root) = palisade_testkit::corpus("admission/kyverno-mutate") else {
        return;
    };
    let out = palisade(&["--format", "json", "admission", "test", arg(&root)]);
    let doc: Value = stdout_json(&out);
    assert_eq!(doc["cases"].as_array().unwrap().len(), 67);
    assert_eq!(doc["passed"], 66, "{}", text(&out.stdout));
    assert_eq!(doc["failed"], 1);
}
