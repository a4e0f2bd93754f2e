//! Recognizing a directory of mixed inputs: what each file is, by the kind
//! or shape of what it holds.

use std::path::{Path, PathBuf};

use palisade_core::Manifest;
use palisade_core::walk::{Walker, has_extension};
use serde::Serialize;

use crate::error::{InputError, ReadError};

/// What a file became.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum FileKind {
    /// Gatekeeper ConstraintTemplates or constraints.
    Gatekeeper,
    /// Kyverno-style pattern policies (`ClusterPolicy`, `Policy`).
    PatternPolicy,
    /// CEL admission policies: Kubernetes ValidatingAdmissionPolicy and its
    /// bindings, Kyverno `ValidatingPolicy` and `NamespacedValidatingPolicy`.
    CelPolicy,
    /// A Falco rules file (a YAML list of `rule`, `macro`, `list` items).
    FalcoRules,
    /// NetworkPolicy, CiliumNetworkPolicy, AdminNetworkPolicy and kin.
    NetworkPolicy,
    /// Namespaces and workloads: the inventory every layer looks at.
    Inventory,
    /// Several of the above in one file.
    Mixed,
    /// A JSON-lines event stream (`.jsonl`), replayed by the runtime layer.
    Events,
    /// Nothing Palisade uses.
    Ignored,
}

impl FileKind {
    /// The kebab-case name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Gatekeeper => "gatekeeper",
            FileKind::PatternPolicy => "pattern-policy",
            FileKind::CelPolicy => "cel-policy",
            FileKind::FalcoRules => "falco-rules",
            FileKind::NetworkPolicy => "network-policy",
            FileKind::Inventory => "inventory",
            FileKind::Mixed => "mixed",
            FileKind::Events => "events",
            FileKind::Ignored => "ignored",
        }
    }
}

/// One file of the input directory and what it became.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadedFile {
    /// The file.
    pub path: PathBuf,
    /// What it was recognized as.
    pub kind: FileKind,
    /// How many objects (or rules-file items) it held.
    pub items: usize,
}

/// The kind of one Kubernetes object, by `apiVersion` and `kind`.
pub fn object_kind(manifest: &Manifest) -> FileKind {
    let api = manifest.api_version().unwrap_or_default();
    let kind = manifest.kind().unwrap_or_default();
    if kind == "ConstraintTemplate" || api.starts_with("constraints.gatekeeper.sh") {
        FileKind::Gatekeeper
    } else if api.starts_with("kyverno.io") && matches!(kind, "ClusterPolicy" | "Policy") {
        FileKind::PatternPolicy
    } else if (api.starts_with("admissionregistration.k8s.io/")
        && matches!(
            kind,
            "ValidatingAdmissionPolicy" | "ValidatingAdmissionPolicyBinding"
        ))
        || (api.starts_with("policies.kyverno.io/")
            && matches!(kind, "ValidatingPolicy" | "NamespacedValidatingPolicy"))
    {
        FileKind::CelPolicy
    } else if matches!(
        kind,
        "NetworkPolicy"
            | "CiliumNetworkPolicy"
            | "CiliumClusterwideNetworkPolicy"
            | "AdminNetworkPolicy"
            | "BaselineAdminNetworkPolicy"
    ) {
        FileKind::NetworkPolicy
    } else {
        FileKind::Inventory
    }
}

/// `true` when `text` is a Falco rules file: a YAML sequence whose items are
/// mappings with a `rule`, `macro`, `list` or `required_engine_version` key.
pub fn is_falco_rules(text: &str) -> bool {
    use saphyr::{LoadableYamlNode, Yaml};
    let Ok(docs) = Yaml::load_from_str(text) else {
        return false;
    };
    let Some(Yaml::Sequence(items)) = docs.first() else {
        return false;
    };
    !items.is_empty()
        && items.iter().all(|item| {
            [
                "rule",
                "macro",
                "list",
                "required_engine_version",
                "required_plugin_versions",
            ]
            .iter()
            .any(|key| item.as_mapping_get(key).is_some())
        })
}

/// Files under `dir` (recursively, sorted, hidden entries skipped) with a
/// `.yaml`, `.yml`, `.json` or `.jsonl` extension; `dir` itself when it is a
/// file. A symbolic-link loop or directories nested too deep are errors.
pub fn input_files(dir: &Path) -> Result<Vec<PathBuf>, InputError> {
    Walker::new()
        .files(dir, |p| has_extension(p, &["yaml", "yml", "json", "jsonl"]))
        .map_err(|e| {
            InputError::from(ReadError {
                path: e.path,
                reason: e.reason,
            })
        })
}
