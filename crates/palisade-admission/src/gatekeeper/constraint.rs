//! Constraints: instances of a template's kind, with match criteria,
//! parameters and an enforcement action.

use std::sync::Arc;

use palisade_core::{EnforcementAction, Location, Manifest, Positions};
use serde_json::Value as Json;

use super::error::{GatekeeperError, InvalidConstraintError};
use super::matcher::Match;
use super::value::to_rego;

/// The API group of constraints.
pub const CONSTRAINTS_GROUP: &str = "constraints.gatekeeper.sh";

/// A constraint (`constraints.gatekeeper.sh/v1beta1`, kind = a template's kind).
#[derive(Debug, Clone)]
pub struct Constraint {
    name: String,
    kind: String,
    location: Option<Location>,
    /// Where each field stands, to point errors found later (binding to
    /// a template) at the field.
    positions: Arc<Positions>,
    matcher: Match,
    parameters: Json,
    rego_parameters: regorus::Value,
    action: EnforcementAction,
}

impl Constraint {
    /// Reads a constraint loaded from a file.
    /// Errors point at the offending field.
    pub fn from_manifest(manifest: &Manifest) -> Result<Constraint, GatekeeperError> {
        Constraint::read(
            &manifest.object,
            Some(manifest.source.location()),
            Arc::clone(&manifest.positions),
        )
    }

    /// Reads a constraint from its JSON form.
    pub fn from_json(
        constraint: &Json,
        location: Option<Location>,
    ) -> Result<Constraint, GatekeeperError> {
        Constraint::read(constraint, location, Arc::default())
    }

    fn read(
        constraint: &Json,
        location: Option<Location>,
        positions: Arc<Positions>,
    ) -> Result<Constraint, GatekeeperError> {
        let at = |field: &str| location.as_ref().map(|l| positions.locate(l, field));
        let name = constraint
            .pointer("/metadata/name")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned();
        let invalid = |field: &str, reason: String| {
            GatekeeperError::from(InvalidConstraintError {
                location: at(field),
                constraint: name.clone(),
                reason,
            })
        };
        let api_version = constraint
            .get("apiVersion")
            .and_then(Json::as_str)
            .unwrap_or_default();
        if !is_constraint_api_version(api_version) {
            return Err(invalid(
                "apiVersion",
                format!("`apiVersion` `{api_version}` is not in group `{CONSTRAINTS_GROUP}`"),
            ));
        }
        let kind = constraint
            .get("kind")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned();
        if kind.is_empty() {
            return Err(invalid("kind", "`kind` is missing".into()));
        }
        if name.is_empty() {
            return Err(invalid(
                "metadata.name",
                "`metadata.name` is missing".into(),
            ));
        }
        let spec = constraint.get("spec").unwrap_or(&Json::Null);
        if !(spec.is_object() || spec.is_null()) {
            return Err(invalid("spec", "`spec` is not a mapping".into()));
        }
        let matcher = Match::from_json(spec.get("match")).map_err(|reason| {
            let field = named_field(&reason).unwrap_or("spec.match").to_owned();
            invalid(&field, reason)
        })?;
        let parameters = match spec.get("parameters") {
            None | Some(Json::Null) => Json::Object(serde_json::Map::new()),
            Some(p @ Json::Object(_)) => p.clone(),
            Some(_) => {
                return Err(invalid(
                    "spec.parameters",
                    "`spec.parameters` is not a mapping".into(),
                ));
            }
        };
        let action = match spec.get("enforcementAction") {
            None | Some(Json::Null) => EnforcementAction::Deny,
            Some(Json::String(s)) if s.is_empty() => EnforcementAction::Deny,
            Some(Json::String(s)) if s.eq_ignore_ascii_case("scoped") => {
                return Err(invalid(
                    "spec.enforcementAction",
                    "`spec.enforcementAction: scoped` (per enforcement point) is not supported; use deny, warn or dryrun".into(),
                ));
            }
            Some(Json::String(s)) => EnforcementAction::parse(s).ok_or_else(|| {
                invalid(
                    "spec.enforcementAction",
                    format!("`spec.enforcementAction` `{s}` is not deny, warn or dryrun"),
                )
            })?,
            Some(_) => {
                return Err(invalid(
                    "spec.enforcementAction",
                    "`spec.enforcementAction` is not a string".into(),
                ));
            }
        };
        Ok(Constraint {
            name,
            kind,
            location,
            positions,
            matcher,
            rego_parameters: to_rego(&parameters),
            parameters,
            action,
        })
    }

    /// `metadata.name`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The kind (the template's constraint kind).
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// Where it was loaded from.
    pub fn location(&self) -> Option<&Location> {
        self.location.as_ref()
    }

    /// Where `field` (`spec.parameters.labels[0]`) is written, or the
    /// closest enclosing field that is; `None` when not loaded from a file.
    pub fn locate(&self, field: &str) -> Option<Location> {
        let start = self.location.as_ref()?;
        Some(self.positions.locate(start, field))
    }

    /// `spec.match`.
    pub fn matcher(&self) -> &Match {
        &self.matcher
    }

    /// `spec.parameters` (`{}` when absent).
    pub fn parameters(&self) -> &Json {
        &self.parameters
    }

    /// The parameters as a regorus value (converted once).
    pub(crate) fn rego_parameters(&self) -> &regorus::Value {
        &self.rego_parameters
    }

    /// `spec.enforcementAction` (`deny` when absent).
    pub fn action(&self) -> EnforcementAction {
        self.action
    }
}

/// `true` for `constraints.gatekeeper.sh/<version>`.
pub fn is_constraint_api_version(api_version: &str) -> bool {
    api_version
        .split_once('/')
        .is_some_and(|(group, _)| group == CONSTRAINTS_GROUP)
}

/// The field a check's message is about: the messages of the match and
/// parameter checks begin with it in backticks (`` `spec.match.kinds` is
/// not a list ``). `None` for other messages.
pub(crate) fn named_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix('`')?;
    let (field, _) = rest.split_once('`')?;
    field.starts_with("spec.").then_some(field)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn constraint_fields_are_read() {
        let c = Constraint::from_json(
            &json!({
                "apiVersion": "constraints.gatekeeper.sh/v1beta1",
                "kind": "K8sRequiredLabels",
                "metadata": {"name": "must-have-owner"},
                "spec": {
                    "enforcementAction": "warn",
                    "match": {"kinds": [{"apiGroups": [""], "kinds": ["Namespace"]}]},
                    "parameters": {"labels": ["owner"]}
                }
            }),
            None,
        )
        .unwrap();
        assert_eq!(c.kind(), "K8sRequiredLabels");
        assert_eq!(c.action(), EnforcementAction::Warn);
        assert_eq!(c.parameters(), &json!({"labels": ["owner"]}));
        assert_eq!(c.matcher().kinds.len(), 1);
    }

    #[test]
    fn bad_constraints_name_the_field() {
        let base = json!({
            "apiVersion": "constraints.gatekeeper.sh/v1beta1",
            "kind": "K", "metadata": {"name": "c"}, "spec": {"enforcementAction": "block"}
        });
        let err = Constraint::from_json(&base, None).unwrap_err();
        assert!(
            err.to_string().contains("`spec.enforcementAction` `block`"),
            "{err}"
        );
        let mut other = base.clone();
        other["apiVersion"] = json!("v1");
        assert!(Constraint::from_json(&other, None).is_err());
    }
}
