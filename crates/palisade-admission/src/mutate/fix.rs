//! Remediation (`palisade admission fix`): the built-in remediation pack and
//! the user's mutate policies applied to manifests, each change with the
//! reason it was made, and what no patch can safely fix named by the Pod
//! Security check that still fails.
//!
//! A [`Fixer`] holds the policies (the pack first, then the user's, so a
//! user's choice has the last word) and the level the fixed objects are
//! checked against (Pod Security `restricted` at `latest` by default).
//! [`Fixer::fix`] fixes one object; [`rewrite_file`] writes fixed objects
//! back into the text of their file (see [`palisade_core::yaml_edit`]: key
//! order, comments and the other documents are kept).
//!
//! ```
//! use palisade_admission::mutate::fix::Fixer;
//! use serde_json::json;
//!
//! let fixer = Fixer::with_pack(Vec::new());
//! let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
//!     "spec": {"hostNetwork": true, "containers": [{"name": "a", "image": "x"}]}});
//! let fix = fixer.fix(&pod);
//! assert_eq!(fix.object["spec"]["securityContext"]["runAsNonRoot"], true);
//! assert_eq!(fix.unfixable.len(), 1);
//! assert_eq!(fix.unfixable[0].check.to_string(), "hostNamespaces");
//! ```

use serde_json::Value;

use crate::pattern::PatternRequest;
use crate::pattern::eval::metadata_str;
use crate::pss::{self, CheckFailure, CheckId, Level, LevelVersion, Version};

use super::remediation::{self, PACK_POLICY};
use super::{MutatePolicy, MutateStatus, RuleMutation};

/// Applies the remediation policies and checks what remains.
#[derive(Debug, Clone)]
pub struct Fixer {
    policies: Vec<MutatePolicy>,
    level: LevelVersion,
}

/// One change a fix made.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Change {
    /// `add`, `remove` or `replace` (RFC 6902).
    pub op: String,
    /// The JSON pointer it changes.
    pub path: String,
    /// The value it sets, for `add` and `replace`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// Why: for the built-in pack, what the change satisfies; for a user's
    /// policy, the rule that made it.
    pub reason: String,
    /// The policy.
    pub policy: String,
    /// The rule.
    pub rule: String,
}

/// A Pod Security check that still fails after the fixes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Unfixable {
    /// The check, as Pod Security Admission names it (in JSON, its id:
    /// `hostNamespaces`).
    #[serde(serialize_with = "check_id")]
    pub check: CheckId,
    /// What fails (PSA's words) and why no patch fixes it.
    pub reason: String,
}

/// The fix of one object.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectFix {
    /// The changes, in the order they were made.
    pub changes: Vec<Change>,
    /// The object after every fix.
    pub object: Value,
    /// What still fails the level: empty when the object passes it, or is
    /// not a Pod or a workload at all.
    pub unfixable: Vec<Unfixable>,
    /// Rules that failed to apply; their changes are not made, and
    /// `admission fix` reports them as warnings with the rule's position.
    pub errors: Vec<RuleMutation>,
}

impl Fixer {
    /// The built-in remediation pack followed by `policies`, checked
    /// against `restricted` at `latest`.
    pub fn with_pack(policies: Vec<MutatePolicy>) -> Fixer {
        let mut all = remediation::remediation_pack().policies;
        all.extend(policies);
        Fixer::new(all)
    }

    /// Only `policies` (no built-in pack), checked against `restricted` at
    /// `latest`.
    pub fn new(policies: Vec<MutatePolicy>) -> Fixer {
        Fixer {
            policies,
            level: LevelVersion::new(Level::Restricted, Version::Latest),
        }
    }

    /// Checks the fixed objects against another level or version.
    #[must_use]
    pub fn level(mut self, level: LevelVersion) -> Fixer {
        self.level = level;
        self
    }

    /// The policies, in the order they apply.
    pub fn policies(&self) -> &[MutatePolicy] {
        &self.policies
    }

    /// Fixes one object (as a CREATE of a plain manifest).
    pub fn fix(&self, object: &Value) -> ObjectFix {
        let outcome = super::mutate(&self.policies, &PatternRequest::create(object));
        let changes = outcome
            .patches
            .iter()
            .map(|p| Change {
                op: p.op.clone(),
                path: p.path.clone(),
                value: p.value.clone(),
                reason: reason(&p.policy, &p.rule),
                policy: p.policy.clone(),
                rule: p.rule.clone(),
            })
            .collect();
        let errors = outcome
            .rules
            .iter()
            .filter(|r| r.status == MutateStatus::Error)
            .cloned()
            .collect();
        let unfixable = pss::evaluate(self.level, &outcome.object)
            .map(|e| {
                e.failures
                    .iter()
                    .map(|f| unfixable(f, &outcome.object))
                    .collect()
            })
            .unwrap_or_default();
        ObjectFix {
            changes,
            unfixable,
            errors,
            object: outcome.object,
        }
    }
}

fn check_id<S: serde::Serializer>(check: &CheckId, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(check)
}

/// Why a change was made.
fn reason(policy: &str, rule: &str) -> String {
    if policy == PACK_POLICY {
        let base = rule
            .strip_prefix("autogen-cronjob-")
            .or_else(|| rule.strip_prefix("autogen-"))
            .unwrap_or(rule);
        if let Some(text) = remediation::reason(base) {
            return text.to_owned();
        }
    }
    format!("set by rule `{rule}` of policy `{policy}`")
}

/// Why a failing check is left to a person.
fn unfixable(failure: &CheckFailure, object: &Value) -> Unfixable {
    let why = match failure.check {
        CheckId::HostNamespaces => {
            "the Pod shares the node's network, PID or IPC namespace; turning that off changes what the workload does"
        }
        CheckId::HostPathVolumes | CheckId::RestrictedVolumes => {
            "the volume's source holds the workload's data; no other volume type can stand in for it without losing that"
        }
        CheckId::HostPorts => {
            "the container is reached on a port of the node; removing `hostPort` changes how clients reach it"
        }
        CheckId::WindowsHostProcess => "a Windows HostProcess container runs on the host by design",
        CheckId::Sysctls => {
            "the Pod sets kernel parameters outside the safe set; removing them changes its behaviour"
        }
        CheckId::HostProbesAndHostLifecycle => {
            "a probe or lifecycle handler targets another host; removing `host` would point it at the Pod instead"
        }
        CheckId::Privileged if metadata_str(object, "namespace") == "kube-system" => {
            "a system workload (namespace `kube-system`) asks for privileged mode, which node agents need"
        }
        _ => "still failing after the fixes (a policy after the pack, or a rule error, left it so)",
    };
    Unfixable {
        check: failure.check,
        reason: format!("{failure}: {why}"),
    }
}

/// One fixed object to write back: where it was read, and its content.
#[derive(Debug, Clone, Copy)]
pub struct FixedObject<'a> {
    /// 0-based document index in its file.
    pub document: usize,
    /// Its index in the document's `List`, when it came from one.
    pub item: Option<usize>,
    /// The fixed object.
    pub object: &'a Value,
}

/// A file's text with fixed objects written back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewrittenFile {
    /// The new text.
    pub text: String,
    /// Documents that had to be written anew (their comments are lost).
    pub rewritten_documents: Vec<usize>,
}

/// Writes fixed objects back into the text of the file `name` they were
/// read from: YAML through [`palisade_core::yaml_edit`] (each document
/// spliced where it can be, the others untouched), JSON (`.json`) written
/// anew, pretty-printed (JSON has no comments to keep; keys come out
/// sorted).
pub fn rewrite_file(
    name: &str,
    text: &str,
    objects: &[FixedObject<'_>],
) -> Result<RewrittenFile, palisade_core::yaml_edit::EditError> {
    use palisade_core::yaml_edit::{EditError, rewrite_document};
    let docs = palisade_core::yaml::parse_stream(text);
    let mut out = RewrittenFile {
        text: text.to_owned(),
        rewritten_documents: Vec::new(),
    };
    let mut indexes: Vec<usize> = objects.iter().map(|o| o.document).collect();
    indexes.sort_unstable();
    indexes.dedup();
    for document in indexes {
        let Some(Ok(doc)) = docs
            .iter()
            .find(|d| d.as_ref().is_ok_and(|d| d.index == document))
        else {
            return Err(EditError::Document {
                document,
                reason: "it does not parse".to_owned(),
            });
        };
        let mut content = doc.root.to_json();
        for o in objects.iter().filter(|o| o.document == document) {
            match o.item {
                None => content = o.object.clone(),
                Some(i) => {
                    if let Some(slot) = content
                        .get_mut("items")
                        .and_then(Value::as_array_mut)
                        .and_then(|items| items.get_mut(i))
                    {
                        *slot = o.object.clone();
                    }
                }
            }
        }
        if name.ends_with(".json") {
            let mut pretty = serde_json::to_string_pretty(&content).unwrap_or_default();
            pretty.push('\n');
            out.text = pretty;
            continue;
        }
        let done = rewrite_document(&out.text, document, &content)?;
        if !done.layout_kept {
            out.rewritten_documents.push(document);
        }
        out.text = done.text;
    }
    Ok(out)
}

/// The fix of a whole manifest file's text: every object it holds, fixed,
/// and the text with them written back.
#[derive(Debug, Clone, PartialEq)]
pub struct FileFix {
    /// Each object read, where it stands and its fix.
    pub objects: Vec<(palisade_core::manifest::Source, ObjectFix)>,
    /// The rewritten text, or why it could not be written.
    pub text: Result<RewrittenFile, palisade_core::yaml_edit::EditError>,
}

/// Reads the objects of a file's text (`name` decides YAML or JSON), fixes
/// them with `fixer` and writes them back (see [`rewrite_file`]).
pub fn fix_text(fixer: &Fixer, name: &str, text: &str) -> FileFix {
    let report = palisade_core::manifest::load_str(name, text);
    let objects: Vec<_> = report
        .objects
        .iter()
        .map(|m| (m.source.clone(), fixer.fix(&m.object)))
        .collect();
    let fixed: Vec<FixedObject<'_>> = objects
        .iter()
        .map(|(source, fix)| FixedObject {
            document: source.document,
            item: source.item,
            object: &fix.object,
        })
        .collect();
    let text = rewrite_file(name, text, &fixed);
    FileFix { objects, text }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn privileged_system_workloads_are_left_and_reported() {
        let pod = |ns: &str| {
            json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "agent", "namespace": ns},
                "spec": {"containers": [{"name": "a", "image": "x",
                    "securityContext": {"privileged": true}}]}})
        };
        let fixer = Fixer::with_pack(Vec::new());
        let fix = fixer.fix(&pod("kube-system"));
        assert_eq!(
            fix.object["spec"]["containers"][0]["securityContext"]["privileged"],
            true
        );
        assert_eq!(fix.unfixable.len(), 1);
        assert_eq!(fix.unfixable[0].check, CheckId::Privileged);
        assert!(
            fix.unfixable[0].reason.contains("kube-system"),
            "{}",
            fix.unfixable[0].reason
        );
        let fix = fixer.fix(&pod("shop"));
        assert!(fix.unfixable.is_empty(), "{:?}", fix.unfixable);
        let flipped = Change {
            op: "replace".to_owned(),
            path: "/spec/containers/0/securityContext/privileged".to_owned(),
            value: Some(json!(false)),
            reason: remediation::reason("container-privileged")
                .unwrap_or_default()
                .to_owned(),
            policy: PACK_POLICY.to_owned(),
            rule: "container-privileged".to_owned(),
        };
        assert!(fix.changes.contains(&flipped), "{:?}", fix.changes);
    }

    #[test]
    fn list_items_and_json_files_are_written_back() {
        let text = "{\"kind\": \"List\", \"items\": [{\"kind\": \"Pod\", \"metadata\": {\"name\": \"a\"}}]}";
        let fixed = json!({"kind": "Pod", "metadata": {"name": "a", "labels": {"x": "y"}}});
        let objects = [FixedObject {
            document: 0,
            item: Some(0),
            object: &fixed,
        }];
        let out = rewrite_file("list.json", text, &objects).unwrap();
        let back: Value = serde_json::from_str(&out.text).unwrap();
        assert_eq!(back["items"][0], fixed);
        let out = rewrite_file("list.yaml", text, &objects).unwrap();
        assert_eq!(out.rewritten_documents, vec![0]);
        let back = palisade_core::yaml::parse_stream(&out.text)
            .remove(0)
            .unwrap();
        assert_eq!(back.root.to_json()["items"][0], fixed);
    }
}
