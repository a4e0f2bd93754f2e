//! Reading policy and test files the way Gatekeeper does.
//!
//! Files are read with [`palisade_core::manifest`] (positions on every
//! object). Gatekeeper reads YAML with Go's libyaml port, which accepts a
//! few things the YAML 1.2 grammar (and so our parser) refuses, for example
//! a multi-line quoted scalar whose continuation line is indented no deeper
//! than its key — the Gatekeeper library has such files. A file refused for
//! its syntax is therefore read once more with libyaml's rules
//! (`yaml_serde`); its objects then carry the file's name and the
//! document's index, with line and column 1.

use std::path::Path;

use palisade_core::manifest::{self, LoadReport, Source};
use palisade_core::{Manifest, ManifestError};
use serde::Deserialize;
use serde_json::Value as Json;

/// Like [`manifest::load_paths`], with the libyaml retry for refused files.
pub fn load_paths<P: AsRef<Path>>(paths: &[P]) -> LoadReport {
    retry_refused(manifest::load_paths(paths))
}

/// Like [`manifest::load_file`], with the libyaml retry.
pub fn load_file(path: &Path) -> LoadReport {
    retry_refused(manifest::load_file(path))
}

fn retry_refused(mut report: LoadReport) -> LoadReport {
    let mut refused: Vec<String> = report
        .errors
        .iter()
        .filter(|e| matches!(e, ManifestError::Syntax(_)))
        .map(|e| e.file().to_owned())
        .collect();
    refused.dedup();
    for file in refused {
        if file == "<stdin>" || file.ends_with(".json") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let Some(objects) = read_libyaml(&file, &text) else {
            continue;
        };
        report.errors.retain(|e| e.file() != file);
        report.objects.retain(|m| m.source.file != file);
        report.objects.extend(objects);
    }
    report
}

/// Every object of a YAML stream read with libyaml's rules; `None` when
/// even libyaml refuses it or a document is not a Kubernetes object.
fn read_libyaml(file: &str, text: &str) -> Option<Vec<Manifest>> {
    let mut objects = Vec::new();
    for (document, doc) in yaml_serde::Deserializer::from_str(text).enumerate() {
        let value = Json::deserialize(doc).ok()?;
        if value.is_null() {
            continue;
        }
        let source = |item: Option<usize>| Source {
            file: file.to_owned(),
            document,
            item,
            line: 1,
            column: 1,
        };
        let is_list = value
            .get("kind")
            .and_then(Json::as_str)
            .is_some_and(|k| k.ends_with("List"));
        match value.get("items").and_then(Json::as_array) {
            Some(items) if is_list => {
                for (i, item) in items.iter().enumerate() {
                    objects.push(Manifest {
                        object: kubernetes_object(item)?,
                        source: source(Some(i)),
                    });
                }
            }
            _ => objects.push(Manifest {
                object: kubernetes_object(&value)?,
                source: source(None),
            }),
        }
    }
    Some(objects)
}

fn kubernetes_object(value: &Json) -> Option<Json> {
    let has = |k: &str| value.get(k).is_some_and(Json::is_string);
    (has("apiVersion") && has("kind")).then(|| value.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libyaml_reads_what_yaml_1_2_refuses() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  x:\n    k: \"line one\n    two\"\n";
        assert!(!palisade_core::manifest::load_str("t.yaml", text).is_ok());
        let objects = read_libyaml("t.yaml", text).unwrap();
        assert_eq!(objects.len(), 1);
        assert_eq!(objects[0].object["data"]["x"]["k"], "line one two");
        assert!(read_libyaml("t.yaml", "a: [").is_none());
    }
}
