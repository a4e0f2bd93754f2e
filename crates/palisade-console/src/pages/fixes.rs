//! Fixes of the audited objects: the remediation the facade's
//! [`Fixer`] makes (the built-in remediation pack, as `palisade admission
//! fix` applies it), shown as the RFC 6902 patch with the reason of each
//! change, and the fixed manifest offered for download
//! (`/admission/object?kind=&namespace=&name=&download=fixed`).

use std::collections::HashMap;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use palisade::Palisade;
use palisade::admission::mutate::fix::{Fixer, ObjectFix};
use palisade::admission::mutate::to_yaml_string;
use palisade::manifest::Manifest;
use serde_json::Value;

use super::format::{text, visible};

/// Which object a finding is about: kind, namespace (empty when
/// cluster-scoped) and name; ordered by namespace, name, kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey {
    /// `metadata.namespace`, empty for cluster-scoped objects.
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
    /// `kind`.
    pub kind: String,
}

impl ObjectKey {
    /// The subject of a finding (as `palisade report --format json` writes it).
    pub fn of(finding: &Value) -> ObjectKey {
        let subject = &finding["subject"];
        ObjectKey {
            namespace: text(&subject["namespace"]),
            name: text(&subject["name"]),
            kind: text(&subject["kind"]),
        }
    }

    /// The key of a query (`?kind=&namespace=&name=`).
    pub fn from_query(query: &HashMap<String, String>) -> ObjectKey {
        let get = |k: &str| query.get(k).cloned().unwrap_or_default();
        ObjectKey {
            namespace: get("namespace"),
            name: get("name"),
            kind: get("kind"),
        }
    }

    /// The object's page, with `extra` query parameters (`&download=fixed`).
    pub fn href(&self, extra: &str) -> String {
        let params = [
            ("kind", self.kind.as_str()),
            ("namespace", self.namespace.as_str()),
            ("name", self.name.as_str()),
        ];
        format!(
            "/admission/object?{}{extra}",
            serde_urlencoded::to_string(params).unwrap_or_default()
        )
    }

    /// A file name for the fixed manifest: `kind-namespace-name.fixed.yaml`
    /// with anything but letters, digits, `.`, `-` and `_` as `_`.
    pub fn file_name(&self) -> String {
        let stem: String = [&self.kind, &self.namespace, &self.name]
            .iter()
            .filter(|p| !p.is_empty())
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join("-")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!("{stem}.fixed.yaml")
    }
}

/// The objects of the inventory by key, and the fixer.
pub struct Fixes<'a> {
    objects: HashMap<ObjectKey, &'a Manifest>,
    fixer: Fixer,
}

impl<'a> Fixes<'a> {
    /// The inventory of `palisade`, with the built-in remediation pack.
    pub fn new(palisade: &'a Palisade) -> Fixes<'a> {
        let objects = palisade
            .inventory()
            .iter()
            .map(|m| {
                let key = ObjectKey {
                    namespace: m.namespace().unwrap_or_default().to_owned(),
                    name: m.name().unwrap_or_default().to_owned(),
                    kind: m.kind().unwrap_or_default().to_owned(),
                };
                (key, m)
            })
            .collect();
        Fixes {
            objects,
            fixer: Fixer::with_pack(Vec::new()),
        }
    }

    /// The object of `key`, when the inventory has it.
    pub fn object(&self, key: &ObjectKey) -> Option<&'a Manifest> {
        self.objects.get(key).copied()
    }

    /// The fix of the object of `key`, when the inventory has it and the
    /// fix changes something.
    pub fn fix(&self, key: &ObjectKey) -> Option<ObjectFix> {
        let manifest = self.object(key)?;
        Some(self.fixer.fix(&manifest.object)).filter(|f| !f.changes.is_empty())
    }

    /// A table cell: the patch (folded) and the download link, or a dash.
    pub fn cell(&self, key: &ObjectKey) -> Markup {
        match self.fix(key) {
            Some(fix) => html! {
                details.fix {
                    summary { (fix.changes.len()) " changes" }
                    (patch(&fix))
                }
                a.download href=(key.href("&download=fixed")) download=(key.file_name()) { "Fixed manifest" }
            },
            None => html! { span.none { "—" } },
        }
    }
}

/// The patch of a fix: each change with its reason.
pub fn patch(fix: &ObjectFix) -> Markup {
    html! {
        ol.patch {
            @for change in &fix.changes {
                li {
                    code {
                        (change.op) " " (visible(&change.path))
                        @if let Some(value) = &change.value { " " (visible(&value.to_string())) }
                    }
                    " — " (visible(&change.reason))
                }
            }
        }
        @if !fix.unfixable.is_empty() {
            p { "Still failing after the fix: " }
            ul.unfixable {
                @for u in &fix.unfixable { li { (u.check.to_string()) ": " (visible(&u.reason)) } }
            }
        }
    }
}

/// The fixed manifest of `key` as a YAML download, or 404.
pub fn download(fixes: &Fixes<'_>, key: &ObjectKey) -> Response {
    match fixes.fix(key) {
        Some(fix) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/yaml".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}\"", key.file_name()),
                ),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            ],
            to_yaml_string(&fix.object),
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            "no such object in the inventory, or nothing to fix\n",
        )
            .into_response(),
    }
}
