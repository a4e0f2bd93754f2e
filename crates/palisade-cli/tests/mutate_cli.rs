//! `palisade admission mutate` and `admission test` with `patchedResource`
//! on the Kyverno mutate corpus (skipped with a notice when it is absent);
//! `palisade admission fix`: `--out` on the Pod Security `restricted`
//! fixtures that fail (every copy passes `admission pss --level restricted`
//! or is reported with the check it cannot fix), and `--write` on a file
//! with comments, flow style and several documents (kept as written where
//! nothing changes).

use std::collections::BTreeSet;
use std::path::Path;
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

/// Gatekeeper mutators load from `--policies` like Kyverno policies: each
/// patch names the mutator that made it.
#[test]
fn mutate_applies_gatekeeper_mutators() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mutate/gatekeeper");
    let out = palisade(&[
        "--format",
        "json",
        "admission",
        "mutate",
        "--policies",
        arg(&dir.join("mutators.yaml")),
        arg(&dir.join("pod.yaml")),
    ]);
    assert_exit(&out, 0);
    let doc = stdout_json(&out);
    assert_eq!(doc[0]["object"], "Pod shop/web");
    assert_eq!(
        doc[0]["patches"],
        serde_json::json!([
            {"op": "add", "path": "/spec/containers/0/imagePullPolicy", "value": "Always",
             "policy": "always-pull", "rule": "Assign"},
            {"op": "replace", "path": "/spec/initContainers/0/image",
             "value": "mirror.example.com/busybox:1.36", "policy": "mirror", "rule": "AssignImage"}
        ])
    );
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

#[test]
fn fix_out_on_the_restricted_failures() {
    let Some(root) = palisade_testkit::corpus("admission/pss/restricted/v1.37/fail") else {
        return;
    };
    let out_dir = tempfile::tempdir().unwrap();
    let fixed = palisade(&[
        "--format",
        "json",
        "admission",
        "fix",
        arg(&root),
        "--out",
        arg(out_dir.path()),
    ]);
    // Something is unfixable (host namespaces, volumes, ...): exit 1.
    assert_eq!(fixed.status.code(), Some(1), "{}", text(&fixed.stderr));
    let rows = stdout_json(&fixed);
    let rows = rows.as_array().unwrap();
    // Same relative paths: every fixture has its copy.
    let names = |dir: &Path| -> BTreeSet<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    assert_eq!(names(&root), names(out_dir.path()));
    // The copies, checked by `admission pss`: each object passes, or its
    // failing checks are exactly the ones `fix` reported as unfixable.
    let checked = palisade(&[
        "--format",
        "json",
        "admission",
        "pss",
        "--level",
        "restricted",
        arg(out_dir.path()),
    ]);
    let checked = stdout_json(&checked);
    let checked = checked.as_array().unwrap();
    assert_eq!(checked.len(), rows.len());
    let mut passing = 0;
    for row in rows {
        let file = Path::new(row["file"].as_str().unwrap())
            .file_name()
            .unwrap();
        let copy = checked
            .iter()
            .find(|c| Path::new(c["file"].as_str().unwrap()).file_name() == Some(file))
            .unwrap();
        let checks = |list: &Value| -> Vec<Value> {
            list.as_array()
                .unwrap()
                .iter()
                .map(|f| f["check"].clone())
                .collect()
        };
        assert_eq!(
            checks(&copy["failures"]),
            checks(&row["unfixable"]),
            "{file:?}"
        );
        if copy["allowed"] == true {
            passing += 1;
            assert!(!row["changes"].as_array().unwrap().is_empty(), "{file:?}");
        }
    }
    // v1.37's fail fixtures: 53 pods, of which the unfixable by design
    // (restricted volumes, host namespaces and ports, sysctls, host probes,
    // HostProcess) are 27.
    assert_eq!((passing, rows.len()), (26, 53));
}

#[test]
fn fix_write_keeps_comments_order_and_other_documents() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shop.yaml");
    let original = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fix/shop.yaml"),
    )
    .unwrap();
    std::fs::write(&file, &original).unwrap();
    let out = palisade(&["admission", "fix", "--write", arg(&file)]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("cannot fix hostNamespaces: host namespaces (hostNetwork=true)"),
        "{stdout}"
    );
    let written = std::fs::read_to_string(&file).unwrap();
    let expected = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fix/shop.fixed.yaml"),
    )
    .unwrap();
    assert_eq!(written, expected);
    // Fixed again: nothing changes, the file is not touched.
    let out = palisade(&["admission", "fix", "--write", arg(&file)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        !text(&out.stdout).contains("FIXED"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), expected);
}

#[test]
fn fix_refuses_to_write_standard_input() {
    let out = palisade(&["admission", "fix", "--write", "-"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr).trim_end(),
        "error: `--write` cannot rewrite standard input; use `--out DIR` or name the files"
    );
}
