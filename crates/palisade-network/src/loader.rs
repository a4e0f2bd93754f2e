//! Manifests for the network layer: the core loader, plus the items of typed
//! lists (`PodList`, `NamespaceList`, ...) that omit their `kind`, as
//! `kubectl get pods -o json` writes them. Such an item takes the kind the
//! list names (`PodList` -> `Pod`) and the list's `apiVersion`.

use std::collections::BTreeSet;
use std::path::Path;

use palisade_core::manifest::{self, LoadReport, Manifest, ManifestError, Source};
use palisade_core::yaml::{self, Node};

/// Loads files, directories or `-`, completing typed-list items.
pub fn load_paths<P: AsRef<Path>>(paths: &[P]) -> LoadReport {
    repair(manifest::load_paths(paths))
}

/// Loads `text` named `name`, completing typed-list items.
pub fn load_str(name: &str, text: &str) -> LoadReport {
    let report = manifest::load_str(name, text);
    if report.is_ok() {
        return report;
    }
    let mut fixed = report;
    let recovered = typed_list_items(name, text);
    absorb(&mut fixed, name, recovered);
    fixed
}

fn repair(report: LoadReport) -> LoadReport {
    let files: BTreeSet<String> = report
        .errors
        .iter()
        .filter(|e| is_missing_kind(e))
        .map(|e| e.file().to_owned())
        .collect();
    let mut report = report;
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let recovered = typed_list_items(&file, &text);
        absorb(&mut report, &file, recovered);
    }
    report
}

fn is_missing_kind(e: &ManifestError) -> bool {
    matches!(e, ManifestError::NotAnObject(_)) && e.message() == "missing `kind`"
}

/// Replaces the "missing kind" errors of `file` that `recovered` explains.
fn absorb(report: &mut LoadReport, file: &str, recovered: Vec<Manifest>) {
    if recovered.is_empty() {
        return;
    }
    let positions: BTreeSet<(u32, u32)> = recovered
        .iter()
        .map(|m| (m.source.line, m.source.column))
        .collect();
    report.errors.retain(|e| {
        !(is_missing_kind(e)
            && e.file() == file
            && e.location()
                .is_some_and(|l| positions.contains(&(l.line, l.column))))
    });
    report.objects.extend(recovered);
}

/// Items without `kind` of typed lists in `text`, completed.
fn typed_list_items(name: &str, text: &str) -> Vec<Manifest> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    for doc in yaml::parse_stream(text).into_iter().flatten() {
        let root = &doc.root;
        let Some(kind) = root.get("kind").and_then(Node::as_str) else {
            continue;
        };
        let Some(item_kind) = kind.strip_suffix("List").filter(|k| !k.is_empty()) else {
            continue;
        };
        let api = root
            .get("apiVersion")
            .and_then(Node::as_str)
            .unwrap_or("v1");
        for (i, item) in root
            .get("items")
            .and_then(Node::items)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if item.entries().is_none() || item.get("kind").is_some() {
                continue;
            }
            let mut object = item.to_json();
            if let Some(map) = object.as_object_mut() {
                map.insert("kind".to_owned(), item_kind.into());
                map.entry("apiVersion").or_insert_with(|| api.into());
            }
            out.push(Manifest {
                object,
                source: Source {
                    file: name.to_owned(),
                    document: doc.index,
                    item: Some(i),
                    line: item.line,
                    column: item.column,
                },
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_list_items_take_the_list_kind() {
        let text = r#"{"apiVersion": "v1", "kind": "PodList", "items": [
  {"metadata": {"name": "a", "labels": {"app": "x"}}},
  {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "b"}}
]}"#;
        let report = load_str("pods.json", text);
        assert!(report.is_ok(), "{:?}", report.errors);
        let mut names: Vec<_> = report
            .objects
            .iter()
            .map(|m| (m.kind().unwrap().to_owned(), m.name().unwrap().to_owned()))
            .collect();
        names.sort();
        assert_eq!(
            names,
            [("Pod".into(), "a".into()), ("Pod".into(), "b".into())]
        );
    }
}
