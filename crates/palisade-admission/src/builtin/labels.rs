//! Required labels (Gatekeeper's `K8sRequiredLabels`): the object carries
//! every listed label, and a label with an allowed regular expression has
//! a value that matches it (unanchored, like Rego's `re_match`).

use std::collections::BTreeSet;

use palisade_core::EnforcementAction;
use regex::Regex;
use serde_json::Value;

use crate::review::{AdmissionRequest, Context, EvaluationError, Policy, Violation};

/// One required label.
#[derive(Debug, Clone)]
pub struct RequiredLabel {
    /// The label key.
    pub key: String,
    /// A regular expression its value must match, when set.
    pub allowed_regex: Option<Regex>,
}

impl PartialEq for RequiredLabel {
    fn eq(&self, other: &RequiredLabel) -> bool {
        self.key == other.key
            && self.allowed_regex.as_ref().map(Regex::as_str)
                == other.allowed_regex.as_ref().map(Regex::as_str)
    }
}

/// A regular expression that does not compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("label `{key}`: invalid regular expression `{pattern}`: {reason}")]
#[diagnostic(code(palisade::builtin::regex))]
pub struct LabelRegexError {
    /// The label.
    pub key: String,
    /// The expression.
    pub pattern: String,
    /// Why it does not compile.
    pub reason: String,
}

/// The required-labels policy.
#[derive(Debug, Clone, PartialEq)]
pub struct RequiredLabels {
    /// The policy's name.
    pub name: String,
    /// The labels.
    pub labels: Vec<RequiredLabel>,
    /// A message replacing the default ones.
    pub message: Option<String>,
    /// Kinds it applies to (empty: every kind).
    pub kinds: Vec<String>,
    /// What a violation does.
    pub action: EnforcementAction,
}

impl Default for RequiredLabels {
    /// `owner`, `env` and `app`, on every kind, denying.
    fn default() -> RequiredLabels {
        RequiredLabels {
            name: "required-labels".to_owned(),
            labels: ["owner", "env", "app"]
                .into_iter()
                .map(|key| RequiredLabel {
                    key: key.to_owned(),
                    allowed_regex: None,
                })
                .collect(),
            message: None,
            kinds: Vec::new(),
            action: EnforcementAction::Deny,
        }
    }
}

impl RequiredLabels {
    /// Required labels from (key, allowed regex) pairs; an empty regex means none.
    pub fn new<'a>(
        labels: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
    ) -> Result<RequiredLabels, LabelRegexError> {
        let mut out = Vec::new();
        for (key, regex) in labels {
            let allowed_regex = match regex.filter(|r| !r.is_empty()) {
                Some(r) => Some(Regex::new(r).map_err(|e| LabelRegexError {
                    key: key.to_owned(),
                    pattern: r.to_owned(),
                    reason: e.to_string(),
                })?),
                None => None,
            };
            out.push(RequiredLabel {
                key: key.to_owned(),
                allowed_regex,
            });
        }
        Ok(RequiredLabels {
            labels: out,
            ..RequiredLabels::default()
        })
    }

    /// The violations of `object`.
    pub fn check(&self, object: &Value) -> Vec<String> {
        let labels = object
            .get("metadata")
            .and_then(|m| m.get("labels"))
            .and_then(Value::as_object);
        let has = |key: &str| labels.is_some_and(|l| l.contains_key(key));
        let missing: BTreeSet<&str> = self
            .labels
            .iter()
            .map(|l| l.key.as_str())
            .filter(|k| !has(k))
            .collect();
        let mut out = Vec::new();
        if !missing.is_empty() {
            let set: Vec<String> = missing.iter().map(|k| format!("{k:?}")).collect();
            out.push(
                self.message
                    .clone()
                    .unwrap_or_else(|| format!("you must provide labels: {{{}}}", set.join(", "))),
            );
        }
        for label in &self.labels {
            let (Some(regex), Some(value)) =
                (&label.allowed_regex, labels.and_then(|l| l.get(&label.key)))
            else {
                continue;
            };
            let text = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            if !regex.is_match(&text) {
                out.push(self.message.clone().unwrap_or_else(|| {
                    format!(
                        "Label <{}: {text}> does not satisfy allowed regex: {}",
                        label.key,
                        regex.as_str()
                    )
                }));
            }
        }
        out
    }
}

impl Policy for RequiredLabels {
    fn name(&self) -> &str {
        &self.name
    }

    fn applies_to(&self, request: &AdmissionRequest, _: &Context) -> bool {
        self.kinds.is_empty() || self.kinds.contains(&request.kind.kind)
    }

    fn validate(
        &self,
        request: &AdmissionRequest,
        _: &Context,
    ) -> Result<Vec<Violation>, EvaluationError> {
        Ok(super::violations(&self.name, self.action, request, |o| {
            self.check(o)
        }))
    }
}
