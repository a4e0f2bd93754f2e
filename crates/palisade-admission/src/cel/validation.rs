//! The part every CEL policy format shares: `matchConditions`,
//! `variables`, `validations` and `auditAnnotations`, compiled once and
//! evaluated with the variables of an admission request, as the Kubernetes
//! API server evaluates a ValidatingAdmissionPolicy.

use std::sync::Arc;

use cel_core::{Activation, MapKey, Value, ValueMap};
use palisade_core::Location;
use serde_json::Value as Json;

use super::cluster::with_context;
use super::error::{CompileError, EvalError};
use super::expression::{Environment, Expression, type_name};
use super::library::authorizer;
use crate::review::Context;

/// A named expression (`matchConditions[]`, `variables[]`, `auditAnnotations[]`).
#[derive(Debug, Clone)]
pub struct Named {
    /// `name` (`key` for an audit annotation).
    pub name: String,
    /// The compiled expression (`expression`, `valueExpression`).
    pub expression: Expression,
}

/// One `validations[]` entry.
#[derive(Debug, Clone)]
pub struct Validation {
    /// The condition that must hold.
    pub expression: Expression,
    /// `message`.
    pub message: Option<String>,
    /// `messageExpression`, which gives the message when it evaluates to a
    /// non-empty string.
    pub message_expression: Option<Expression>,
    /// `reason` (`Invalid`, `Forbidden`, ...).
    pub reason: Option<String>,
}

/// The compiled expressions of one policy.
#[derive(Debug, Clone)]
pub struct ValidationSet {
    /// `matchConditions`: all must hold for the policy to apply.
    pub match_conditions: Vec<Named>,
    /// `variables`, in order; each sees the ones before it.
    pub variables: Vec<Named>,
    /// `validations`.
    pub validations: Vec<Validation>,
    /// `auditAnnotations` (`key`, `valueExpression`).
    pub audit_annotations: Vec<Named>,
    /// Whether an expression calls Kyverno's `resource.*` or
    /// `image.GetMetadata` (which then need the cluster objects and image
    /// metadata, see [`super::cluster`]).
    pub uses_cluster: bool,
    /// The request variables the expressions read.
    pub needs: Needs,
    /// The names of `variables` as map keys, made once.
    variable_keys: Vec<MapKey>,
}

/// The variables of one evaluation, resolved by name without a hash map
/// (the crate's `MapActivation` hashes and clones an owned name per
/// binding on every evaluation).
struct Bindings<'i> {
    inputs: &'i Inputs,
    variables: Arc<ValueMap>,
    authorizer: Option<Value>,
}

impl Activation for Bindings<'_> {
    fn resolve(&self, name: &str) -> Option<Value> {
        let inputs = self.inputs;
        Some(match name {
            "object" => inputs.object.clone(),
            "oldObject" => inputs.old_object.clone(),
            "request" => inputs.request.clone(),
            "params" => inputs.params.clone(),
            "namespaceObject" => inputs.namespace_object.clone(),
            "variables" => Value::Map(Arc::clone(&self.variables)),
            "authorizer" => self.authorizer.clone()?,
            _ => return None,
        })
    }
}

/// The values a policy's expressions see.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// `object` (`null` on DELETE).
    pub object: Value,
    /// `oldObject` (`null` on CREATE).
    pub old_object: Value,
    /// `request`: the admission request's attributes.
    pub request: Value,
    /// `params`: the parameter resource, or `null`.
    pub params: Value,
    /// `namespaceObject`: the Namespace of a namespaced request, or `null`.
    pub namespace_object: Value,
    /// Entries of `variables` given by the policy format itself (Gatekeeper's
    /// `variables.anyObject` and `variables.params`).
    pub preset_variables: Vec<(String, Value)>,
    /// The size of the input, for the cost limit (see [`super::cost`]).
    pub nodes: u64,
}

/// Which variables a policy's expressions read (the others are left null,
/// so a request is converted only as far as the policy looks at it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needs {
    /// `request`.
    pub request: bool,
    /// `namespaceObject`.
    pub namespace_object: bool,
    /// `oldObject`.
    pub old_object: bool,
    /// `authorizer` (which also needs `request`, for the user).
    pub authorizer: bool,
}

impl Needs {
    /// Every variable.
    pub const ALL: Needs = Needs {
        request: true,
        namespace_object: true,
        old_object: true,
        authorizer: true,
    };
}

/// A validation that did not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Its message (`messageExpression`, `message`, or the expression).
    pub message: String,
    /// Its `reason`, when given.
    pub reason: Option<String>,
}

/// What evaluating a [`ValidationSet`] gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A match condition was false: the policy does not apply.
    NotMatched {
        /// The condition's name.
        condition: String,
    },
    /// Evaluated: the validations that failed (none when the request passes)
    /// and the audit annotations (`key`, value).
    Evaluated {
        /// Failed validations.
        failures: Vec<Failure>,
        /// Audit annotations that gave a value.
        annotations: Vec<(String, String)>,
    },
}

/// Where each list of a [`ValidationSet`] is: the JSON list and its field path.
#[derive(Debug, Clone, Default)]
pub struct Parts<'a> {
    /// `matchConditions` (Kyverno: `celPreconditions`).
    pub match_conditions: Option<(&'a Json, String)>,
    /// `variables`.
    pub variables: Option<(&'a Json, String)>,
    /// `validations` (Kyverno: `validate.cel.expressions`).
    pub validations: Option<(&'a Json, String)>,
    /// `auditAnnotations`.
    pub audit_annotations: Option<(&'a Json, String)>,
}

impl ValidationSet {
    /// Reads and compiles the expressions of `spec` (the object holding
    /// `matchConditions`, `variables`, `validations`, `auditAnnotations`),
    /// naming fields from `path` (`spec`) in errors and placing them with
    /// `locate` (a field path to its file, line and column).
    pub fn from_json(
        env: &Environment,
        spec: &Json,
        path: &str,
        locate: &dyn Fn(&str) -> Option<Location>,
    ) -> Result<ValidationSet, CompileError> {
        let part = |key: &str| spec.get(key).map(|v| (v, format!("{path}.{key}")));
        ValidationSet::from_parts(
            env,
            Parts {
                match_conditions: part("matchConditions"),
                variables: part("variables"),
                validations: part("validations"),
                audit_annotations: part("auditAnnotations"),
            },
            locate,
        )
    }

    /// Reads and compiles the lists of `parts`, wherever a policy format
    /// keeps them (Kyverno: `celPreconditions`, `validate.cel.expressions`, ...).
    pub fn from_parts(
        env: &Environment,
        parts: Parts<'_>,
        locate: &dyn Fn(&str) -> Option<Location>,
    ) -> Result<ValidationSet, CompileError> {
        let list = |part: &Option<(&Json, String)>| -> Result<Vec<(String, Json)>, CompileError> {
            match part {
                None | Some((Json::Null, _)) => Ok(Vec::new()),
                Some((Json::Array(items), path)) => Ok(items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| (format!("{path}[{i}]"), item.clone()))
                    .collect()),
                Some((_, path)) => Err(CompileError::malformed(
                    locate(path),
                    path,
                    "is not a list".into(),
                )),
            }
        };
        // The text of `key` in the entry at `at`, which must have it.
        let required = |item: &'_ Json, at: &str, key: &str| -> Result<String, CompileError> {
            item.get(key)
                .and_then(Json::as_str)
                .map(str::to_owned)
                .ok_or_else(|| {
                    CompileError::malformed(locate(at), at, format!("`{key}` is missing"))
                })
        };
        // `source`, the expression in `key` of the entry at `at`.
        let compile = |source: &str, at: &str, key: &str| {
            let field = format!("{at}.{key}");
            env.compile(source, &field, locate(&field).as_ref())
        };
        let named = |part: &Option<(&Json, String)>,
                     name_key: &str,
                     expression_key: &str|
         -> Result<Vec<Named>, CompileError> {
            list(part)?
                .into_iter()
                .map(|(at, item)| {
                    let name = item
                        .get(name_key)
                        .and_then(Json::as_str)
                        .unwrap_or_default();
                    Ok(Named {
                        name: name.to_owned(),
                        expression: compile(
                            &required(&item, &at, expression_key)?,
                            &at,
                            expression_key,
                        )?,
                    })
                })
                .collect()
        };
        let match_conditions = named(&parts.match_conditions, "name", "expression")?;
        let variables = named(&parts.variables, "name", "expression")?;
        let audit_annotations = named(&parts.audit_annotations, "key", "valueExpression")?;
        let mut validations = Vec::new();
        for (at, item) in list(&parts.validations)? {
            let source = required(&item, &at, "expression")?;
            let message_expression = item
                .get("messageExpression")
                .and_then(Json::as_str)
                .map(|m| compile(m, &at, "messageExpression"))
                .transpose()?;
            validations.push(Validation {
                expression: compile(&source, &at, "expression")?,
                message: item
                    .get("message")
                    .and_then(Json::as_str)
                    .map(str::to_owned),
                message_expression,
                reason: item.get("reason").and_then(Json::as_str).map(str::to_owned),
            });
        }
        // Every expression but the messages.
        let expressions = || {
            match_conditions
                .iter()
                .chain(&variables)
                .chain(&audit_annotations)
                .map(|n| &n.expression)
                .chain(validations.iter().map(|v| &v.expression))
        };
        let uses_cluster = expressions().any(|e| {
            ["resource.", "image.GetMetadata", "authorizer"]
                .iter()
                .any(|name| e.source().contains(name))
        });
        let mentions = |name: &str| {
            expressions()
                .chain(
                    validations
                        .iter()
                        .filter_map(|v| v.message_expression.as_ref()),
                )
                .any(|e| e.source().contains(name))
        };
        let authorizer = mentions("authorizer");
        let needs = Needs {
            request: mentions("request") || authorizer,
            namespace_object: mentions("namespaceObject"),
            old_object: mentions("oldObject"),
            authorizer,
        };
        let variable_keys = variables
            .iter()
            .map(|v| MapKey::String(Arc::from(v.name.as_str())))
            .collect();
        Ok(ValidationSet {
            variable_keys,
            match_conditions,
            variables,
            validations,
            audit_annotations,
            uses_cluster,
            needs,
        })
    }

    /// The request variables the expressions read.
    pub fn needs(&self) -> Needs {
        self.needs
    }

    /// Whether an expression calls Kyverno's `resource.*` library.
    pub fn uses_cluster(&self) -> bool {
        self.uses_cluster
    }

    /// Evaluates the set on `inputs` with `context` as the cluster that
    /// Kyverno's `resource.*` and `image.*` libraries and the `authorizer`
    /// see (see [`super::cluster`]).
    pub fn evaluate_with(&self, inputs: &Inputs, context: &Context) -> Result<Outcome, EvalError> {
        if self.uses_cluster {
            with_context(context, || self.evaluate(inputs))
        } else {
            self.evaluate(inputs)
        }
    }

    /// Evaluates the set on `inputs`. An expression that fails to evaluate
    /// (or a match condition or validation that is not a bool) is an error,
    /// for the caller's `failurePolicy` to decide on.
    pub fn evaluate(&self, inputs: &Inputs) -> Result<Outcome, EvalError> {
        let mut variables = ValueMap::new();
        for (name, value) in &inputs.preset_variables {
            variables.insert(MapKey::String(Arc::from(name.as_str())), value.clone());
        }
        let mut activation = Bindings {
            inputs,
            variables: Arc::new(variables),
            authorizer: self
                .needs
                .authorizer
                .then(|| authorizer::for_request(&inputs.request)),
        };
        // Variables are evaluated in order; one that fails holds the error,
        // which surfaces only where it is used (Kubernetes evaluates them lazily).
        for (variable, key) in self.variables.iter().zip(&self.variable_keys) {
            let value = match variable.expression.evaluate(&activation, inputs.nodes) {
                Ok(v) => v,
                Err(e) => Value::error(cel_core::EvalError::new(
                    cel_core::EvalErrorKind::InvalidArgument,
                    e.reason,
                )),
            };
            // The map is shared only when a value kept `variables` itself.
            Arc::make_mut(&mut activation.variables).insert(key.clone(), value);
        }
        for condition in &self.match_conditions {
            if !condition
                .expression
                .evaluate_bool(&activation, inputs.nodes)?
            {
                return Ok(Outcome::NotMatched {
                    condition: condition.name.clone(),
                });
            }
        }
        let mut failures = Vec::new();
        for validation in &self.validations {
            if validation
                .expression
                .evaluate_bool(&activation, inputs.nodes)?
            {
                continue;
            }
            // As the API server: a `messageExpression` that fails, or gives
            // anything but a non-empty one-line string, leaves the message
            // as if it were not set.
            let evaluated = validation
                .message_expression
                .as_ref()
                .and_then(|m| m.evaluate(&activation, inputs.nodes).ok())
                .and_then(|v| match v {
                    Value::String(s) if !s.trim().is_empty() && !s.contains('\n') => {
                        Some(s.to_string())
                    }
                    _ => None,
                });
            let message = evaluated
                .or_else(|| validation.message.clone().filter(|m| !m.is_empty()))
                .unwrap_or_else(|| {
                    format!(
                        "failed expression: {}",
                        validation.expression.source().trim()
                    )
                });
            failures.push(Failure {
                message,
                reason: validation.reason.clone(),
            });
        }
        let mut annotations = Vec::new();
        for annotation in &self.audit_annotations {
            match annotation.expression.evaluate(&activation, inputs.nodes)? {
                Value::Null => {}
                Value::String(s) => annotations.push((annotation.name.clone(), s.to_string())),
                other => {
                    return Err(annotation.expression.error(format!(
                        "`valueExpression` must give a string or null, it gave {}",
                        type_name(&other)
                    )));
                }
            }
        }
        Ok(Outcome::Evaluated {
            failures,
            annotations,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cel::request;
    use crate::review::{AdmissionRequest, Context};
    use serde_json::json;

    fn set(spec: Json) -> ValidationSet {
        let env = Environment::admission();
        ValidationSet::from_json(&env, &spec, "spec", &|_| None).unwrap()
    }

    fn inputs(items: usize) -> Inputs {
        let object = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "m"},
            "data": (0..items).map(|i| (format!("k{i}"), json!("v"))).collect::<serde_json::Map<_, _>>()});
        request::inputs(
            &AdmissionRequest::from_object(object).unwrap(),
            &Context::new(),
            None,
        )
    }

    #[test]
    fn a_runaway_expression_is_a_cost_error_not_a_hang() {
        let runaway = set(json!({"validations": [{"expression":
            "object.data.all(a, object.data.all(b, object.data.all(c, a + b + c != '')))"}]}));
        // Small input: evaluated.
        assert!(matches!(
            runaway.evaluate(&inputs(5)),
            Ok(Outcome::Evaluated { .. })
        ));
        // 300 keys, three nested comprehensions: refused before running.
        let err = runaway.evaluate(&inputs(300)).unwrap_err();
        assert_eq!(err.field, "spec.validations[0].expression");
        assert!(
            err.reason
                .starts_with("cost limit exceeded: 3 nested comprehensions"),
            "{err}"
        );
    }

    #[test]
    fn variables_match_conditions_and_messages_follow_the_api_server() {
        let s = set(json!({
            "matchConditions": [{"name": "configmaps", "expression": "object.kind == 'ConfigMap'"}],
            "variables": [
                {"name": "keys", "expression": "object.data.map(k, k)"},
                {"name": "broken", "expression": "object.nosuch.field"}
            ],
            "validations": [
                {"expression": "size(variables.keys) < 2", "messageExpression": "'too many keys: ' + string(size(variables.keys))"},
                {"expression": "size(variables.keys) < 2", "message": "static", "messageExpression": "variables.broken"},
                {"expression": "size(variables.keys) < 2"}
            ],
            "auditAnnotations": [{"key": "count", "valueExpression": "string(size(variables.keys))"}]
        }));
        let Outcome::Evaluated {
            failures,
            annotations,
        } = s.evaluate(&inputs(3)).unwrap()
        else {
            panic!("not evaluated");
        };
        let messages: Vec<&str> = failures.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "too many keys: 3",
                "static",
                "failed expression: size(variables.keys) < 2"
            ]
        );
        assert_eq!(annotations, [("count".to_owned(), "3".to_owned())]);
        // An unused failing variable is no error; a used one is.
        let uses_broken = set(json!({
            "variables": [{"name": "broken", "expression": "object.nosuch.field"}],
            "validations": [{"expression": "variables.broken == 1"}]
        }));
        assert!(uses_broken.evaluate(&inputs(1)).is_err());
        // A false match condition: not applied.
        let not_pods = set(json!({
            "matchConditions": [{"name": "pods", "expression": "object.kind == 'Pod'"}],
            "validations": [{"expression": "false"}]
        }));
        assert_eq!(
            not_pods.evaluate(&inputs(1)).unwrap(),
            Outcome::NotMatched {
                condition: "pods".into()
            }
        );
        // A validation that is not a bool is an error.
        let not_bool = set(json!({"validations": [{"expression": "1"}]}));
        assert!(
            not_bool
                .evaluate(&inputs(1))
                .unwrap_err()
                .reason
                .contains("must give a bool")
        );
    }
}
