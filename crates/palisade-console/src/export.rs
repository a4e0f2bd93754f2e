//! Exceptions exported as a Falco rules file: one item per rule, appending
//! the console's exceptions to the rule as Falco loads it
//! (`override: exceptions: append`).

use std::collections::HashMap;

use crate::ingest::Exception;

/// A YAML string in double quotes (JSON escapes are valid YAML).
fn quoted(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| quoted(s)).collect();
    format!("[{}]", quoted.join(", "))
}

/// The Falco rules file for `exceptions` (rules in name order).
pub fn falco_exceptions(exceptions: &HashMap<String, Vec<Exception>>) -> String {
    let mut rules: Vec<(&String, &Vec<Exception>)> = exceptions.iter().collect();
    rules.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = String::from("# Exceptions added through the Palisade console.\n");
    for (rule, list_of) in rules {
        out.push_str(&format!("- rule: {}\n  exceptions:\n", quoted(rule)));
        for (i, e) in list_of.iter().enumerate() {
            out.push_str(&format!("    - name: console_{}\n", i + 1));
            out.push_str(&format!("      fields: {}\n", list(&e.fields)));
            if !e.comps.is_empty() {
                out.push_str(&format!("      comps: {}\n", list(&e.comps)));
            }
            let rows: Vec<String> = e.values.iter().map(|row| list(row)).collect();
            out.push_str(&format!("      values: [{}]\n", rows.join(", ")));
        }
        out.push_str("  override:\n    exceptions: append\n");
    }
    out
}

/// The active policy set as Kubernetes manifests, one `List` that `kubectl
/// apply -f` takes: every admission policy object (ConstraintTemplates and
/// constraints, pattern policies, admission policies and their bindings)
/// and network policy of the loaded files, and the Falco rules files with
/// the console's exceptions as the ConfigMap `palisade-falco-rules`.
pub fn policy_manifests(
    palisade: &palisade::Palisade,
    exceptions: &HashMap<String, Vec<Exception>>,
) -> serde_json::Value {
    use palisade::inputs::{FileKind, object_kind};
    let mut items = Vec::new();
    let mut rules = serde_json::Map::new();
    for file in palisade.files() {
        match file.kind {
            FileKind::FalcoRules => {
                if let Ok(text) = std::fs::read_to_string(&file.path) {
                    let name = file.path.file_name().map_or_else(
                        || "rules.yaml".to_owned(),
                        |n| n.to_string_lossy().into_owned(),
                    );
                    rules.insert(name, serde_json::Value::String(text));
                }
            }
            FileKind::Inventory | FileKind::Events | FileKind::Ignored => {}
            _ => {
                let loaded = palisade::manifest::load_file(&file.path);
                for m in loaded.objects {
                    let policy = matches!(
                        object_kind(&m),
                        FileKind::Gatekeeper | FileKind::PatternPolicy | FileKind::NetworkPolicy
                    ) || m.kind().is_some_and(|k| k.contains("AdmissionPolicy"));
                    if policy {
                        items.push(m.object);
                    }
                }
            }
        }
    }
    if !exceptions.is_empty() {
        rules.insert(
            "zz-console-exceptions.yaml".to_owned(),
            serde_json::Value::String(falco_exceptions(exceptions)),
        );
    }
    if !rules.is_empty() {
        items.push(serde_json::json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "palisade-falco-rules"},
            "data": rules,
        }));
    }
    serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items})
}
