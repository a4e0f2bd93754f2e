//! Admission requests and responses, and the policy abstraction every backend
//! (Gatekeeper, Pod Security Standards, pattern policies, the built-in pack)
//! implements.
//!
//! # Wire format
//!
//! [`AdmissionReview`] reads and writes `admission.k8s.io/v1` `AdmissionReview`
//! JSON: the request's `uid` is echoed in the response, which carries
//! `allowed`, `status.code` / `status.message` and `warnings`.
//! [`AdmissionRequest::from_object`] builds a request from a plain manifest the
//! way `gator` and Gatekeeper's audit do (no `operation`, no `userInfo`).
//!
//! # Why not `kube-core`'s admission types
//!
//! `kube_core::admission` is the ecosystem's type for this, and we looked at it
//! first. It does not fit here, for three reasons:
//!
//! - it pulls in `k8s-openapi` (tens of megabytes of generated code, minutes of
//!   build on a small machine) for one `UserInfo` struct and `ObjectMeta`;
//! - its `operation` is required, while reviews built from plain manifests (by
//!   `gator verify`, Gatekeeper's audit and our CLI) have none, and Rego
//!   templates can tell an absent field from a present one;
//! - its objects are typed (`DynamicObject` with a typed `ObjectMeta`), so a
//!   round trip through it normalizes the object; policies must see the object
//!   exactly as it was sent.
//!
//! So the structs below mirror the v1 wire format field by field (same names,
//! same optionality where Kubernetes makes a field optional), objects stay raw
//! JSON, and unknown request fields are kept and written back unchanged.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use palisade_core::{EnforcementAction, Finding, Layer, ObjectRef, Severity, Subject};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use crate::request_cache::RequestCache;

/// The `apiVersion` of the AdmissionReview this module reads and writes.
pub const ADMISSION_API_VERSION: &str = "admission.k8s.io/v1";

/// An admission operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Operation {
    /// An object is created.
    Create,
    /// An object is replaced or patched.
    Update,
    /// An object is deleted.
    Delete,
    /// A connection to a subresource (`exec`, `attach`, `portforward`, ...).
    Connect,
}

impl Operation {
    /// The wire spelling (`CREATE`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "CREATE",
            Operation::Update => "UPDATE",
            Operation::Delete => "DELETE",
            Operation::Connect => "CONNECT",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A group, version and kind (`{"group": "apps", "version": "v1", "kind": "Deployment"}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GroupVersionKind {
    /// The API group; `""` for the core group.
    #[serde(default)]
    pub group: String,
    /// The version.
    #[serde(default)]
    pub version: String,
    /// The kind.
    #[serde(default)]
    pub kind: String,
}

impl GroupVersionKind {
    /// Splits an `apiVersion` (`apps/v1`, or `v1` for the core group) and adds `kind`.
    pub fn from_api_version(api_version: &str, kind: &str) -> GroupVersionKind {
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        GroupVersionKind {
            group: group.to_owned(),
            version: version.to_owned(),
            kind: kind.to_owned(),
        }
    }

    /// The `apiVersion` string (`apps/v1`, or `v1` for the core group).
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

/// A group, version and resource (`{"group": "", "version": "v1", "resource": "pods"}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GroupVersionResource {
    /// The API group; `""` for the core group.
    #[serde(default)]
    pub group: String,
    /// The version.
    #[serde(default)]
    pub version: String,
    /// The resource (plural, lower-case).
    #[serde(default)]
    pub resource: String,
}

/// Who made the request (`authentication.k8s.io/v1` `UserInfo`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    /// The user's name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub username: String,
    /// A unique value that identifies the user across time.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub uid: String,
    /// The groups the user belongs to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// Extra attributes from the authenticator.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, Vec<String>>,
}

/// One admission request (`AdmissionReview.request`).
///
/// Fields that Kubernetes always sets but a review built from a plain
/// manifest lacks (`uid`, `operation`, `userInfo`, `resource`) are optional.
/// Fields not modelled here are kept in [`AdmissionRequest::extra`] and written
/// back unchanged.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionRequest {
    /// The request's identifier, echoed in the response.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub uid: String,
    /// The kind of the object.
    #[serde(default)]
    pub kind: GroupVersionKind,
    /// The resource being requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<GroupVersionResource>,
    /// The subresource (`status`, `exec`, ...), when any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_resource: Option<String>,
    /// The kind originally requested, when it differs from `kind`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_kind: Option<GroupVersionKind>,
    /// The resource originally requested, when it differs from `resource`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_resource: Option<GroupVersionResource>,
    /// The object's name (may be empty on CREATE with `generateName`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The object's namespace; absent for cluster-scoped objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The operation; absent in reviews built from plain manifests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<Operation>,
    /// Who made the request; absent in reviews built from plain manifests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_info: Option<UserInfo>,
    /// The object as sent (absent on DELETE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<Json>,
    /// The existing object (UPDATE and DELETE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_object: Option<Json>,
    /// `true` when the request will not be persisted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
    /// The operation's options (`CreateOptions`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Json>,
    /// Request fields this struct does not model, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Json>,
}

impl AdmissionRequest {
    /// Builds a request from a plain manifest the way `gator` and
    /// Gatekeeper's audit do: `kind` from `apiVersion` and `kind`, `name` and
    /// `namespace` from `metadata`, the object itself, and nothing else.
    pub fn from_object(object: Json) -> Result<AdmissionRequest, ReviewError> {
        let text = |key: &str| object.get(key).and_then(Json::as_str);
        let (Some(api_version), Some(kind)) = (text("apiVersion"), text("kind")) else {
            return Err(NotAnObjectError {
                reason: "an object needs string `apiVersion` and `kind`".to_owned(),
            }
            .into());
        };
        let kind = GroupVersionKind::from_api_version(api_version, kind);
        let metadata = object.get("metadata");
        let meta = |key: &str| metadata.and_then(|m| m.get(key)).and_then(Json::as_str);
        let name = meta("name").unwrap_or_default().to_owned();
        let namespace = meta("namespace").map(str::to_owned);
        Ok(AdmissionRequest {
            kind,
            name,
            namespace,
            object: Some(object),
            ..AdmissionRequest::default()
        })
    }

    /// Reads a request from its JSON (the `request` member of an AdmissionReview).
    ///
    /// `object` and `oldObject` must be JSON objects (or `null`), as the
    /// `RawExtension` Kubernetes sends and `gator` decodes into an object.
    pub fn from_json(request: &Json) -> Result<AdmissionRequest, ReviewError> {
        let invalid = |reason: String| ReviewError::from(InvalidReviewError { reason });
        for field in ["object", "oldObject"] {
            match request.get(field) {
                None | Some(Json::Null | Json::Object(_)) => {}
                Some(other) => {
                    return Err(invalid(format!(
                        "`request.{field}` is {}, not an object",
                        json_type(other)
                    )));
                }
            }
        }
        serde_path_to_error::deserialize(request).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if path == "." {
                invalid(format!("invalid `request`: {inner}"))
            } else {
                invalid(format!("invalid `request.{path}`: {inner}"))
            }
        })
    }

    /// The request as JSON, in the wire format (the form Gatekeeper gives
    /// Rego as `input.review`).
    pub fn to_json(&self) -> Json {
        serde_json::to_value(self).unwrap_or(Json::Null)
    }

    /// The object the request is about: `object`, or `oldObject` on DELETE.
    pub fn subject_object(&self) -> Option<&Json> {
        self.object.as_ref().or(self.old_object.as_ref())
    }

    /// `metadata.labels` of the object under review, as (key, value) pairs.
    pub fn labels(&self) -> impl Iterator<Item = (&str, &str)> {
        self.subject_object()
            .into_iter()
            .flat_map(palisade_core::manifest::labels_of)
    }

    /// A reference to the object under review.
    pub fn object_ref(&self) -> ObjectRef {
        ObjectRef {
            api_version: self.kind.api_version(),
            kind: self.kind.kind.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
        }
    }
}

/// The JSON type of `value`, for messages (`a string`, `a number`, ...).
fn json_type(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "an object",
    }
}

/// An `admission.k8s.io/v1` `AdmissionReview` carrying a request.
#[derive(Debug, Clone, PartialEq)]
pub struct AdmissionReview {
    /// The request.
    pub request: AdmissionRequest,
}

impl AdmissionReview {
    /// Reads an AdmissionReview. `apiVersion` must be `admission.k8s.io/v1`
    /// (or `v1beta1`, whose request has the same shape) and `request` present.
    pub fn parse(review: &Json) -> Result<AdmissionReview, ReviewError> {
        let invalid = |reason: &str| {
            ReviewError::from(InvalidReviewError {
                reason: reason.to_owned(),
            })
        };
        if review.get("kind").and_then(Json::as_str) != Some("AdmissionReview") {
            return Err(invalid("`kind` is not `AdmissionReview`"));
        }
        match review.get("apiVersion").and_then(Json::as_str) {
            Some("admission.k8s.io/v1" | "admission.k8s.io/v1beta1") => {}
            Some(other) => {
                return Err(invalid(&format!(
                    "unsupported `apiVersion` `{other}`; expected `{ADMISSION_API_VERSION}`"
                )));
            }
            None => return Err(invalid("`apiVersion` is missing")),
        }
        let request = review
            .get("request")
            .ok_or_else(|| invalid("`request` is missing"))?;
        Ok(AdmissionReview {
            request: AdmissionRequest::from_json(request)?,
        })
    }

    /// Reads an AdmissionReview from JSON text.
    pub fn from_json_str(text: &str) -> Result<AdmissionReview, ReviewError> {
        AdmissionReview::from_json_slice(text.as_bytes())
    }

    /// Reads an AdmissionReview from raw JSON bytes (a request body or a
    /// file's content); bytes that are not UTF-8 are a JSON error with their
    /// line and column.
    pub fn from_json_slice(bytes: &[u8]) -> Result<AdmissionReview, ReviewError> {
        let limit = crate::limits::MAX_REVIEW_BYTES;
        if bytes.len() > limit {
            return Err(ReviewError::from(InvalidReviewError {
                reason: format!("{} bytes, more than the limit of {limit}", bytes.len()),
            }));
        }
        let json: Json = serde_json::from_slice(bytes).map_err(|e| {
            ReviewError::from(InvalidReviewError {
                reason: format!("not valid JSON: {e}"),
            })
        })?;
        AdmissionReview::parse(&json)
    }

    /// The AdmissionReview answering this one: `response.uid` echoes the
    /// request's uid.
    pub fn response_json(&self, response: &AdmissionResponse) -> Json {
        response.to_review_json(&self.request.uid)
    }
}

/// The `status` of a response (`metav1.Status`, the parts admission uses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// HTTP-like code: 403 when denied by a policy, 500 when a policy failed.
    pub code: u16,
    /// The message shown to the user.
    pub message: String,
    /// The machine-readable reason (`Forbidden`, `InternalError`).
    pub reason: String,
}

/// The answer to an admission request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdmissionResponse {
    /// Whether the object is admitted.
    pub allowed: bool,
    /// Why not, when denied.
    pub status: Option<Status>,
    /// Warnings shown to the user (from `warn` violations).
    pub warnings: Vec<String>,
    /// For a mutating webhook: the RFC 6902 operations (a JSON array) the
    /// API server applies to the object, sent as `patchType: JSONPatch`
    /// with the array's JSON base64-encoded in `patch`.
    pub patch: Option<Json>,
}

impl AdmissionResponse {
    /// An allowing response without warnings.
    pub fn allow() -> AdmissionResponse {
        AdmissionResponse {
            allowed: true,
            status: None,
            warnings: Vec::new(),
            patch: None,
        }
    }

    /// The `patch` member: the JSON Patch's JSON text, base64-encoded.
    pub fn patch_base64(&self) -> Option<String> {
        use base64::Engine as _;
        let patch = self.patch.as_ref()?;
        let text = serde_json::to_vec(patch).unwrap_or_default();
        Some(base64::engine::general_purpose::STANDARD.encode(text))
    }

    /// The `response` member of an AdmissionReview, with `uid`.
    pub fn to_json(&self, uid: &str) -> Json {
        let mut response = Map::new();
        response.insert("uid".into(), Json::from(uid));
        response.insert("allowed".into(), Json::Bool(self.allowed));
        if let Some(status) = &self.status {
            let mut s = Map::new();
            s.insert("code".into(), Json::from(status.code));
            s.insert("message".into(), Json::from(status.message.as_str()));
            s.insert("reason".into(), Json::from(status.reason.as_str()));
            s.insert("status".into(), Json::from("Failure"));
            response.insert("status".into(), Json::Object(s));
        }
        if !self.warnings.is_empty() {
            response.insert("warnings".into(), Json::from(self.warnings.clone()));
        }
        if let Some(patch) = self.patch_base64() {
            response.insert("patchType".into(), Json::from("JSONPatch"));
            response.insert("patch".into(), Json::from(patch));
        }
        Json::Object(response)
    }

    /// A whole `admission.k8s.io/v1` AdmissionReview carrying this response.
    pub fn to_review_json(&self, uid: &str) -> Json {
        serde_json::json!({
            "apiVersion": ADMISSION_API_VERSION,
            "kind": "AdmissionReview",
            "response": self.to_json(uid),
        })
    }
}

/// What the request is evaluated against besides itself: the cluster's
/// namespaces (for namespace selectors and Pod Security labels) and the
/// objects replicated from the cluster (Gatekeeper's `data.inventory`).
#[derive(Debug, Clone, Default)]
pub struct Context {
    namespaces: BTreeMap<String, Json>,
    objects: Vec<Json>,
    inventory: Json,
    /// The inventory in the Gatekeeper backend's own form, built on first use.
    pub(crate) rego_inventory: std::sync::OnceLock<regorus::Value>,
    /// The objects shared with CEL evaluations (`resource.Get`), built on
    /// first use.
    shared_objects: std::sync::OnceLock<std::sync::Arc<[Json]>>,
    /// The RBAC objects compiled for the CEL `authorizer`, on first use.
    rbac: std::sync::OnceLock<Option<std::sync::Arc<crate::cel::rbac::Rbac>>>,
    /// Image metadata (`kyverno test`'s `context.yaml` `spec.images`).
    images: std::sync::Arc<[Json]>,
}

impl Context {
    /// An empty context: no namespaces, no synced objects.
    pub fn new() -> Context {
        Context::default()
    }

    /// A context holding `objects`.
    pub fn with_objects(objects: impl IntoIterator<Item = Json>) -> Context {
        let mut context = Context::new();
        for object in objects {
            context.add_object(object);
        }
        context
    }

    /// Adds a synced object. `Namespace` objects are also remembered by name.
    /// Objects without a string `apiVersion`, `kind` and `metadata.name` are
    /// kept in [`Context::objects`] but not in the inventory tree.
    pub fn add_object(&mut self, object: Json) {
        let text = |key: &str| object.get(key).and_then(Json::as_str);
        let meta = |key: &str| {
            object
                .get("metadata")
                .and_then(|m| m.get(key))
                .and_then(Json::as_str)
        };
        if let (Some(api_version), Some(kind), Some(name)) =
            (text("apiVersion"), text("kind"), meta("name"))
        {
            if kind == "Namespace" && api_version == "v1" {
                self.namespaces.insert(name.to_owned(), object.clone());
            }
            let path: Vec<&str> = match meta("namespace") {
                Some(ns) => vec!["namespace", ns, api_version, kind, name],
                None => vec!["cluster", api_version, kind, name],
            };
            insert_path(&mut self.inventory, &path, object.clone());
            self.rego_inventory = std::sync::OnceLock::new();
        }
        self.shared_objects = std::sync::OnceLock::new();
        self.rbac = std::sync::OnceLock::new();
        self.objects.push(object);
    }

    /// Adds the metadata of an image, as `kyverno test`'s `context.yaml`
    /// gives it (`{image, config, manifest, ...}`): what Kyverno's
    /// `image.GetMetadata` answers instead of asking the registry.
    pub fn add_image(&mut self, metadata: Json) {
        let mut images = self.images.to_vec();
        images.push(metadata);
        self.images = images.into();
    }

    /// The image metadata added with [`Context::add_image`].
    pub fn images(&self) -> &[Json] {
        &self.images
    }

    /// The objects, image metadata and RBAC rules, shared (cheaply
    /// cloned) with CEL evaluations.
    pub(crate) fn shared(&self) -> crate::cel::cluster::Cluster {
        let objects = self
            .shared_objects
            .get_or_init(|| self.objects.as_slice().into())
            .clone();
        let rbac = self
            .rbac
            .get_or_init(|| {
                crate::cel::rbac::Rbac::from_objects(&self.objects).map(std::sync::Arc::new)
            })
            .clone();
        crate::cel::cluster::Cluster {
            objects,
            images: self.images.clone(),
            rbac,
        }
    }

    /// Remembers a namespace object without adding it to the inventory.
    pub fn add_namespace(&mut self, namespace: Json) {
        if let Some(name) = namespace
            .get("metadata")
            .and_then(|m| m.get("name"))
            .and_then(Json::as_str)
        {
            self.namespaces.insert(name.to_owned(), namespace);
        }
    }

    /// The `Namespace` object named `name`, when known.
    pub fn namespace(&self, name: &str) -> Option<&Json> {
        self.namespaces.get(name)
    }

    /// Every synced object, in the order added.
    pub fn objects(&self) -> &[Json] {
        &self.objects
    }

    /// The synced objects as Gatekeeper's `data.inventory` tree:
    /// `namespace[ns][apiVersion][kind][name]` and
    /// `cluster[apiVersion][kind][name]` (`{}` when empty).
    pub fn inventory(&self) -> Json {
        match &self.inventory {
            Json::Null => Json::Object(Map::new()),
            tree => tree.clone(),
        }
    }

    /// The inventory tree as a regorus value, converted once and cached.
    pub(crate) fn rego_inventory(&self) -> &regorus::Value {
        self.rego_inventory.get_or_init(|| match &self.inventory {
            Json::Null => regorus::Value::new_object(),
            tree => regorus::Value::from(tree.clone()),
        })
    }
}

fn insert_path(tree: &mut Json, path: &[&str], value: Json) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut node = tree;
    for key in parents {
        if !node.is_object() {
            *node = Json::Object(Map::new());
        }
        let Json::Object(map) = node else { return };
        node = map
            .entry((*key).to_owned())
            .or_insert_with(|| Json::Object(Map::new()));
    }
    if !node.is_object() {
        *node = Json::Object(Map::new());
    }
    if let Json::Object(map) = node {
        map.insert((*last).to_owned(), value);
    }
}

/// One policy violation.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// The policy (constraint, pattern policy, ...) that was violated.
    pub policy: String,
    /// What is wrong, in words for a person.
    pub message: String,
    /// What happens because of it.
    pub action: EnforcementAction,
    /// Structured details, when the policy gives any (Gatekeeper's `details`).
    pub details: Option<Json>,
}

impl Violation {
    /// A violation without details.
    pub fn new(
        policy: impl Into<String>,
        message: impl Into<String>,
        action: EnforcementAction,
    ) -> Violation {
        Violation {
            policy: policy.into(),
            message: message.into(),
            action,
            details: None,
        }
    }

    /// The message as Gatekeeper shows it: `[policy] message`.
    pub fn display_message(&self) -> String {
        format!("[{}] {}", self.policy, self.message)
    }

    /// The violation as a layer-independent finding about `object`.
    pub fn to_finding(&self, object: ObjectRef) -> Finding {
        Finding::new(
            Layer::Admission,
            self.policy.clone(),
            self.action.severity(),
            self.message.clone(),
        )
        .with_subject(Subject::Object(object))
    }
}

/// A policy could not be evaluated on a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("policy `{policy}` failed: {reason}")]
#[diagnostic(
    code(palisade::admission::evaluation),
    help("the request is denied when a policy cannot be evaluated (fail closed)")
)]
pub struct EvaluationError {
    /// The policy that failed.
    pub policy: String,
    /// Why.
    pub reason: String,
}

impl EvaluationError {
    /// The error as a finding (severity error) about `object`.
    pub fn to_finding(&self, object: ObjectRef) -> Finding {
        Finding::new(
            Layer::Admission,
            self.policy.clone(),
            Severity::Error,
            self.reason.clone(),
        )
        .with_subject(Subject::Object(object))
    }
}

/// A compiled admission policy. Every backend implements it.
pub trait Policy: Send + Sync + fmt::Debug {
    /// The policy's name (a constraint's `metadata.name`, ...), used in messages.
    fn name(&self) -> &str;

    /// Whether the policy looks at this request at all (its match criteria).
    /// The audit uses it for coverage.
    fn applies_to(&self, request: &AdmissionRequest, context: &Context) -> bool;

    /// The violations of the request. Called only when
    /// [`Policy::applies_to`] is `true`.
    fn validate(
        &self,
        request: &AdmissionRequest,
        context: &Context,
    ) -> Result<Vec<Violation>, EvaluationError>;

    /// [`Policy::validate`] sharing `cache` with the other policies
    /// evaluated on the same request and context (what [`PolicySet`]
    /// calls); the default ignores the cache.
    fn validate_cached(
        &self,
        request: &AdmissionRequest,
        context: &Context,
        cache: &RequestCache,
    ) -> Result<Vec<Violation>, EvaluationError> {
        let _ = cache;
        self.validate(request, context)
    }
}

/// What a [`PolicySet`] found on one request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Decision {
    /// Every violation, in policy order.
    pub violations: Vec<Violation>,
    /// Policies that could not be evaluated.
    pub errors: Vec<EvaluationError>,
}

impl Decision {
    /// `true` when no `deny` violation and no error was found.
    pub fn allowed(&self) -> bool {
        self.errors.is_empty()
            && !self
                .violations
                .iter()
                .any(|v| v.action == EnforcementAction::Deny)
    }

    /// The AdmissionResponse for this decision, worded as Gatekeeper's
    /// webhook does: deny messages `[policy] message` joined by newlines in
    /// `status.message` with code 403; `warn` violations as `warnings`;
    /// `dryrun` violations are not shown. A policy that failed denies the
    /// request with code 500.
    pub fn response(&self) -> AdmissionResponse {
        let warnings = self
            .violations
            .iter()
            .filter(|v| v.action == EnforcementAction::Warn)
            .map(Violation::display_message)
            .collect();
        if !self.errors.is_empty() {
            let message = self
                .errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n");
            return AdmissionResponse {
                allowed: false,
                status: Some(Status {
                    code: 500,
                    message,
                    reason: "InternalError".to_owned(),
                }),
                warnings,
                patch: None,
            };
        }
        let denies: Vec<String> = self
            .violations
            .iter()
            .filter(|v| v.action == EnforcementAction::Deny)
            .map(Violation::display_message)
            .collect();
        if denies.is_empty() {
            AdmissionResponse {
                allowed: true,
                status: None,
                warnings,
                patch: None,
            }
        } else {
            AdmissionResponse {
                allowed: false,
                status: Some(Status {
                    code: 403,
                    message: denies.join("\n"),
                    reason: "Forbidden".to_owned(),
                }),
                warnings,
                patch: None,
            }
        }
    }

    /// The violations as findings about the request's object.
    pub fn findings(&self, request: &AdmissionRequest) -> Vec<Finding> {
        let object = request.object_ref();
        let mut findings: Vec<Finding> = self
            .violations
            .iter()
            .map(|v| v.to_finding(object.clone()))
            .collect();
        findings.extend(self.errors.iter().map(|e| e.to_finding(object.clone())));
        findings
    }
}

/// An ordered set of policies of any backend, shared cheaply across threads.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    policies: Vec<Arc<dyn Policy>>,
}

impl PolicySet {
    /// An empty set (admits everything).
    pub fn new() -> PolicySet {
        PolicySet::default()
    }

    /// Adds a policy at the end.
    pub fn add(&mut self, policy: impl Policy + 'static) {
        self.policies.push(Arc::new(policy));
    }

    /// Adds a shared policy at the end.
    pub fn push(&mut self, policy: Arc<dyn Policy>) {
        self.policies.push(policy);
    }

    /// Adds every policy of `other` after this set's.
    pub fn extend(&mut self, other: PolicySet) {
        self.policies.extend(other.policies);
    }

    /// The policies, in order.
    pub fn policies(&self) -> &[Arc<dyn Policy>] {
        &self.policies
    }

    /// How many policies the set holds.
    pub fn len(&self) -> usize {
        self.policies.len()
    }

    /// `true` when the set holds no policy.
    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }

    /// Runs every policy that applies to the request.
    pub fn evaluate(&self, request: &AdmissionRequest, context: &Context) -> Decision {
        let mut decision = Decision::default();
        let cache = RequestCache::new();
        for policy in &self.policies {
            if !policy.applies_to(request, context) {
                continue;
            }
            match policy.validate_cached(request, context, &cache) {
                Ok(violations) => decision.violations.extend(violations),
                Err(e) => decision.errors.push(e),
            }
        }
        decision
    }

    /// Runs every applicable policy and folds the result into a response.
    pub fn review(&self, request: &AdmissionRequest, context: &Context) -> AdmissionResponse {
        self.evaluate(request, context).response()
    }
}

/// A review or request that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum ReviewError {
    /// The document is not a valid AdmissionReview.
    #[error(transparent)]
    #[diagnostic(transparent)]
    InvalidReview(#[from] InvalidReviewError),
    /// The document is not a Kubernetes object.
    #[error(transparent)]
    #[diagnostic(transparent)]
    NotAnObject(#[from] NotAnObjectError),
}

/// The document is not a valid AdmissionReview.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("invalid AdmissionReview: {reason}")]
#[diagnostic(
    code(palisade::admission::invalid_review),
    help("expected `apiVersion: admission.k8s.io/v1`, `kind: AdmissionReview` and a `request`")
)]
pub struct InvalidReviewError {
    /// What is wrong.
    pub reason: String,
}

/// The document is not a Kubernetes object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("not a Kubernetes object: {reason}")]
#[diagnostic(
    code(palisade::admission::not_an_object),
    help("a Kubernetes object is a mapping with string `apiVersion` and `kind`")
)]
pub struct NotAnObjectError {
    /// What is wrong.
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn review_round_trips_and_echoes_uid() {
        let review = json!({
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "request": {
                "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
                "kind": {"group": "", "version": "v1", "kind": "Pod"},
                "resource": {"group": "", "version": "v1", "resource": "pods"},
                "name": "web", "namespace": "shop", "operation": "UPDATE",
                "userInfo": {"username": "alice", "groups": ["dev"]},
                "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"}},
                "oldObject": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"}},
                "dryRun": true,
                "futureField": 7
            }
        });
        let parsed = AdmissionReview::parse(&review).unwrap();
        let request = &parsed.request;
        assert_eq!(request.operation, Some(Operation::Update));
        assert_eq!(request.user_info.as_ref().unwrap().username, "alice");
        assert_eq!(request.dry_run, Some(true));
        assert_eq!(request.to_json(), review["request"]);
        let out = parsed.response_json(&AdmissionResponse::allow());
        assert_eq!(
            out["response"]["uid"],
            "705ab4f5-6393-11e8-b7cc-42010a800002"
        );
        assert_eq!(out["response"]["allowed"], true);
        assert_eq!(out["apiVersion"], "admission.k8s.io/v1");
    }

    #[test]
    fn bad_reviews_are_refused_with_a_reason() {
        let err = AdmissionReview::parse(&json!({"kind": "Pod", "apiVersion": "v1"})).unwrap_err();
        assert!(err.to_string().contains("`kind` is not `AdmissionReview`"));
        let err = AdmissionReview::parse(
            &json!({"kind": "AdmissionReview", "apiVersion": "admission.k8s.io/v1", "request": {"operation": "PATCH"}}),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("invalid `request.operation`: unknown variant `PATCH`"),
            "{err}"
        );
    }

    #[test]
    fn plain_manifest_becomes_a_gator_style_request() {
        let request = AdmissionRequest::from_object(json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "api", "namespace": "shop", "labels": {"app": "api"}}
        }))
        .unwrap();
        let wire = request.to_json();
        assert_eq!(
            wire["kind"],
            json!({"group": "apps", "version": "v1", "kind": "Deployment"})
        );
        assert_eq!(wire["name"], "api");
        assert_eq!(wire["namespace"], "shop");
        assert!(wire.get("operation").is_none());
        assert!(wire.get("userInfo").is_none());
        assert_eq!(request.labels().collect::<Vec<_>>(), vec![("app", "api")]);
        assert!(AdmissionRequest::from_object(json!({"kind": "Pod"})).is_err());
    }

    #[test]
    fn inventory_tree_has_gatekeeper_layout() {
        let context = Context::with_objects([
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": {"a": "b"}}}),
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "i", "namespace": "shop"}}),
        ]);
        let inventory = context.inventory();
        assert_eq!(
            inventory["cluster"]["v1"]["Namespace"]["shop"]["metadata"]["labels"]["a"],
            "b"
        );
        assert_eq!(
            inventory["namespace"]["shop"]["networking.k8s.io/v1"]["Ingress"]["i"]["kind"],
            "Ingress"
        );
        assert!(context.namespace("shop").is_some());
        assert_eq!(context.objects().len(), 2);
    }

    #[derive(Debug)]
    struct Fixed(&'static str, EnforcementAction);

    impl Policy for Fixed {
        fn name(&self) -> &str {
            self.0
        }
        fn applies_to(&self, request: &AdmissionRequest, _: &Context) -> bool {
            request.kind.kind == "Pod"
        }
        fn validate(
            &self,
            _: &AdmissionRequest,
            _: &Context,
        ) -> Result<Vec<Violation>, EvaluationError> {
            Ok(vec![Violation::new(self.0, "bad", self.1)])
        }
    }

    #[test]
    fn policy_set_folds_violations_like_gatekeeper() {
        let mut set = PolicySet::new();
        set.add(Fixed("a", EnforcementAction::Deny));
        set.add(Fixed("b", EnforcementAction::Warn));
        set.add(Fixed("c", EnforcementAction::Dryrun));
        set.add(Fixed("d", EnforcementAction::Deny));
        let pod = AdmissionRequest::from_object(
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}),
        )
        .unwrap();
        let response = set.review(&pod, &Context::new());
        assert!(!response.allowed);
        let status = response.status.unwrap();
        assert_eq!(status.code, 403);
        assert_eq!(status.message, "[a] bad\n[d] bad");
        assert_eq!(response.warnings, vec!["[b] bad".to_owned()]);
        let svc = AdmissionRequest::from_object(
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}}),
        )
        .unwrap();
        assert_eq!(
            set.review(&svc, &Context::new()),
            AdmissionResponse::allow()
        );
    }
}
