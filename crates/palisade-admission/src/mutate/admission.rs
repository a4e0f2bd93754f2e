//! Mutation of admission requests, as a mutating webhook runs it: the
//! request's object (CREATE, UPDATE; nothing for DELETE and CONNECT)
//! through every policy in order, answered with the JSON Patch of all the
//! changes (`patchType: JSONPatch`).

use serde_json::{Map, Value, json};

use super::{MutatePolicy, MutateStatus, MutationOutcome, Values};
use crate::pattern::admission::with_request;
use crate::review::{AdmissionRequest, AdmissionResponse, Context, Status};

/// Mutates the request's object with `policies`; `None` when the request
/// carries no object to mutate (DELETE, CONNECT).
pub fn mutate_request(
    policies: &[MutatePolicy],
    request: &AdmissionRequest,
    context: &Context,
) -> Option<MutationOutcome> {
    request.object.as_ref()?;
    Some(with_request(request, context, |r| {
        super::mutate_with(policies, r, &Values::default())
    }))
}

impl MutationOutcome {
    /// The changes as one RFC 6902 document (`[{op, path, value}, ...]`),
    /// in the order they were made.
    pub fn json_patch(&self) -> Value {
        let ops = self.patches.iter().map(|p| {
            let mut op = Map::new();
            op.insert("op".to_owned(), json!(p.op));
            op.insert("path".to_owned(), json!(p.path));
            if let Some(value) = &p.value {
                op.insert("value".to_owned(), value.clone());
            }
            if let Some(from) = &p.from {
                op.insert("from".to_owned(), json!(from));
            }
            Value::Object(op)
        });
        Value::Array(ops.collect())
    }

    /// The mutating webhook's answer: allowed, with the JSON Patch when
    /// something changed. A rule that failed to apply denies the request
    /// with code 500 and the rules' errors (a webhook with
    /// `failurePolicy: Fail`, Kyverno's default), so an object is never
    /// admitted half-mutated.
    pub fn response(&self) -> AdmissionResponse {
        let errors: Vec<String> = self
            .rules
            .iter()
            .filter(|r| r.status == MutateStatus::Error)
            .map(|r| format!("[{}] rule `{}`: {}", r.policy, r.rule, r.message))
            .collect();
        let mut response = AdmissionResponse::allow();
        if !errors.is_empty() {
            response.allowed = false;
            response.status = Some(Status {
                code: 500,
                message: errors.join("\n"),
                reason: "InternalError".to_owned(),
            });
        } else if !self.patches.is_empty() {
            response.patch = Some(self.json_patch());
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pod_is_answered_with_its_patch_and_a_delete_with_nothing() {
        let load = super::super::load_str(
            "p.yaml",
            "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: team}\nspec:\n  rules:\n  - name: label\n    match: {any: [{resources: {kinds: [Pod]}}]}\n    mutate:\n      patchStrategicMerge:\n        metadata:\n          labels:\n            +(team): shop\n",
        );
        assert!(load.errors.is_empty(), "{:?}", load.errors);
        let pod =
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "a"}});
        let request = AdmissionRequest::from_object(pod).unwrap();
        let outcome = mutate_request(&load.policies, &request, &Context::new()).unwrap();
        let response = outcome.response();
        assert!(response.allowed);
        assert_eq!(
            response.patch,
            Some(json!([{"op": "add", "path": "/metadata/labels", "value": {"team": "shop"}}]))
        );
        let review = response.to_json("u");
        assert_eq!(review["patchType"], "JSONPatch");
        assert_eq!(
            review["patch"],
            "W3sib3AiOiJhZGQiLCJwYXRoIjoiL21ldGFkYXRhL2xhYmVscyIsInZhbHVlIjp7InRlYW0iOiJzaG9wIn19XQ=="
        );
        let mut delete = request.clone();
        delete.old_object = delete.object.take();
        assert!(mutate_request(&load.policies, &delete, &Context::new()).is_none());
    }
}
