//! AdmissionReviews on the wire, read and written without intermediate JSON
//! trees: the body is parsed once, straight into the request (only the
//! objects under review become `serde_json` values), and the answer is
//! serialized straight into the response body.
//!
//! A body the fast reader does not accept is read again by
//! [`AdmissionReview::parse`], the reference reader, whose message is the
//! one returned: answers to malformed bodies are exactly the reference's.

use std::borrow::Cow;
use std::fmt;

use palisade::admission::{AdmissionRequest, AdmissionResponse, AdmissionReview, Operation};
use palisade::admission::{GroupVersionKind, GroupVersionResource, UserInfo};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

/// The `apiVersion` of AdmissionReview v1.
pub const V1: &str = "admission.k8s.io/v1";

/// The `apiVersion` of AdmissionReview v1beta1, answered in kind.
pub const V1BETA1: &str = "admission.k8s.io/v1beta1";

/// Reads an AdmissionReview: its request, and whether it came as v1beta1.
pub fn parse(body: &[u8]) -> Result<(AdmissionRequest, bool), String> {
    if let Ok(envelope) = serde_json::from_slice::<Envelope>(body)
        && envelope.kind.as_deref() == Some("AdmissionReview")
        && let Some(api_version) = envelope.api_version.as_deref()
        && (api_version == V1 || api_version == V1BETA1)
        && let Some(request) = envelope.request
    {
        return Ok((request, api_version == V1BETA1));
    }
    reference_parse(body)
}

/// The reference reader: a JSON tree, then [`AdmissionReview::parse`].
fn reference_parse(body: &[u8]) -> Result<(AdmissionRequest, bool), String> {
    let json: Json = serde_json::from_slice(body)
        .map_err(|e| format!("invalid AdmissionReview: not valid JSON: {e}"))?;
    let review = AdmissionReview::parse(&json).map_err(|e| e.to_string())?;
    let v1beta1 = json.get("apiVersion").and_then(Json::as_str) == Some(V1BETA1);
    Ok((review.request, v1beta1))
}

/// The members of an AdmissionReview the webhook reads.
#[derive(Default)]
struct Envelope {
    api_version: Option<String>,
    kind: Option<String>,
    request: Option<AdmissionRequest>,
}

/// A member name, borrowed from the body when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Key<'de>, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for Envelope {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Envelope, D::Error> {
        struct EnvelopeVisitor;
        impl<'de> Visitor<'de> for EnvelopeVisitor {
            type Value = Envelope;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an AdmissionReview")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Envelope, A::Error> {
                let mut envelope = Envelope::default();
                while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                    match key.as_ref() {
                        "apiVersion" => envelope.api_version = map.next_value()?,
                        "kind" => envelope.kind = map.next_value()?,
                        "request" => envelope.request = map.next_value_seed(RequestSeed)?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(envelope)
            }
        }
        deserializer.deserialize_map(EnvelopeVisitor)
    }
}

/// Reads `request` member by member, like [`AdmissionRequest`]'s own
/// `Deserialize` (same names, same types, unknown members kept in `extra`)
/// but without buffering the whole request first.
struct RequestSeed;

impl<'de> DeserializeSeed<'de> for RequestSeed {
    type Value = Option<AdmissionRequest>;

    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Option<AdmissionRequest>, D::Error> {
        deserializer.deserialize_option(RequestVisitor)
    }
}

/// See [`RequestSeed`].
struct RequestVisitor;

impl<'de> Visitor<'de> for RequestVisitor {
    type Value = Option<AdmissionRequest>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an admission request")
    }

    fn visit_none<E: de::Error>(self) -> Result<Option<AdmissionRequest>, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Option<AdmissionRequest>, D::Error> {
        deserializer.deserialize_map(self)
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> Result<Option<AdmissionRequest>, A::Error> {
        let mut request = AdmissionRequest::default();
        let mut extra = Map::new();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            match key.as_ref() {
                "uid" => request.uid = map.next_value()?,
                "kind" => request.kind = map.next_value::<GroupVersionKind>()?,
                "resource" => {
                    request.resource = map.next_value::<Option<GroupVersionResource>>()?;
                }
                "subResource" => request.sub_resource = map.next_value()?,
                "requestKind" => {
                    request.request_kind = map.next_value::<Option<GroupVersionKind>>()?;
                }
                "requestResource" => {
                    request.request_resource = map.next_value::<Option<GroupVersionResource>>()?;
                }
                "name" => request.name = map.next_value()?,
                "namespace" => request.namespace = map.next_value()?,
                "operation" => request.operation = map.next_value::<Option<Operation>>()?,
                "userInfo" => request.user_info = map.next_value::<Option<UserInfo>>()?,
                "object" => request.object = map.next_value()?,
                "oldObject" => request.old_object = map.next_value()?,
                "dryRun" => request.dry_run = map.next_value()?,
                "options" => request.options = map.next_value()?,
                _ => {
                    let value: Json = map.next_value()?;
                    extra.insert(key.into_owned(), value);
                }
            }
        }
        request.extra = extra;
        Ok(Some(request))
    }
}

/// The AdmissionReview answering a request, serialized straight into the
/// response body: `apiVersion` as asked, `response` with the echoed `uid`,
/// `allowed`, `status` when denied, `warnings`, and `auditAnnotations`
/// marking dry runs. The same document as
/// [`AdmissionResponse::to_review_json`] gives (plus those two additions).
pub struct Answer<'a> {
    /// The decision.
    pub response: &'a AdmissionResponse,
    /// The request's uid.
    pub uid: &'a str,
    /// Answer in `admission.k8s.io/v1beta1`.
    pub v1beta1: bool,
    /// Mark the answer as one to a dry-run request.
    pub dry_run: bool,
}

impl Answer<'_> {
    /// The review as JSON text.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(160);
        // Serializing plain strings and numbers into a `Vec` cannot fail.
        let _ = serde_json::to_writer(&mut out, self);
        out
    }
}

impl Serialize for Answer<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut review = serializer.serialize_map(Some(3))?;
        review.serialize_entry("apiVersion", if self.v1beta1 { V1BETA1 } else { V1 })?;
        review.serialize_entry("kind", "AdmissionReview")?;
        review.serialize_entry("response", &Body(self))?;
        review.end()
    }
}

/// The `response` member.
struct Body<'a, 'b>(&'a Answer<'b>);

impl Serialize for Body<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let answer = self.0;
        let response = answer.response;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("uid", answer.uid)?;
        map.serialize_entry("allowed", &response.allowed)?;
        if let Some(status) = &response.status {
            map.serialize_entry(
                "status",
                &StatusBody {
                    code: status.code,
                    message: &status.message,
                    reason: &status.reason,
                    status: "Failure",
                },
            )?;
        }
        if !response.warnings.is_empty() {
            map.serialize_entry("warnings", &response.warnings)?;
        }
        if let Some(patch) = response.patch_base64() {
            map.serialize_entry("patchType", "JSONPatch")?;
            map.serialize_entry("patch", &patch)?;
        }
        if answer.dry_run {
            map.serialize_entry("auditAnnotations", &DryRun { dry_run: "true" })?;
        }
        map.end()
    }
}

/// `response.status`.
#[derive(Serialize)]
struct StatusBody<'a> {
    code: u16,
    message: &'a str,
    reason: &'a str,
    status: &'a str,
}

/// `response.auditAnnotations` of a dry-run request.
#[derive(Serialize)]
struct DryRun {
    #[serde(rename = "dry-run")]
    dry_run: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade::admission::Status;
    use serde_json::json;

    /// A review as the API server sends it, with a member this crate does
    /// not model (`requestSubResource`) and one in `userInfo.extra`.
    fn review() -> Json {
        json!({
            "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {
                "uid": "u-1",
                "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
                "resource": {"group": "apps", "version": "v1", "resource": "deployments"},
                "requestKind": {"group": "apps", "version": "v1", "kind": "Deployment"},
                "requestResource": {"group": "apps", "version": "v1", "resource": "deployments"},
                "requestSubResource": "",
                "subResource": "scale",
                "name": "web", "namespace": "shop", "operation": "UPDATE",
                "userInfo": {"username": "alice", "uid": "a1", "groups": ["dev"],
                             "extra": {"scopes": ["x"]}},
                "object": {"apiVersion": "apps/v1", "kind": "Deployment",
                           "metadata": {"name": "web", "labels": {"a\"b": "c\\d"}},
                           "spec": {"replicas": 3, "ratio": 0.5, "list": [1, null, true]}},
                "oldObject": null,
                "dryRun": true,
                "options": {"kind": "UpdateOptions"}
            }
        })
    }

    #[test]
    fn the_fast_reader_reads_what_the_reference_reads() {
        let body = review().to_string();
        let (fast, v1beta1) = parse(body.as_bytes()).unwrap();
        let reference = AdmissionReview::parse(&review()).unwrap().request;
        assert_eq!(fast, reference);
        assert!(!v1beta1);
        assert_eq!(fast.extra.get("requestSubResource"), Some(&json!("")));
        assert_eq!(
            fast.object.as_ref().unwrap()["metadata"]["labels"]["a\"b"],
            "c\\d"
        );
        assert!(fast.old_object.is_none());
        // Escaped member names are read too.
        let escaped = body.replace("\"uid\":\"u-1\"", "\"\\u0075id\":\"u-1\"");
        assert_ne!(escaped, body);
        assert_eq!(parse(escaped.as_bytes()).unwrap().0.uid, "u-1");
    }

    #[test]
    fn v1beta1_is_recognised() {
        let mut review = review();
        review["apiVersion"] = json!(V1BETA1);
        let (_, v1beta1) = parse(review.to_string().as_bytes()).unwrap();
        assert!(v1beta1);
    }

    #[test]
    fn malformed_bodies_get_the_reference_message() {
        let err = parse(b"{not json").unwrap_err();
        assert!(
            err.starts_with("invalid AdmissionReview: not valid JSON"),
            "{err}"
        );
        let err = parse(br#"{"kind":"Pod","apiVersion":"v1"}"#).unwrap_err();
        assert_eq!(
            err,
            "invalid AdmissionReview: `kind` is not `AdmissionReview`"
        );
        let err =
            parse(br#"{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1"}"#).unwrap_err();
        assert!(err.contains("`request` is missing"), "{err}");
        let err = parse(
            br#"{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":7}}"#,
        )
        .unwrap_err();
        assert!(err.contains("invalid `request.uid`"), "{err}");
        let (request, v1beta1) = parse(
            br#"{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1beta1","request":{"uid":"u1"}}"#,
        )
        .unwrap();
        assert_eq!(request.uid, "u1");
        assert!(v1beta1);
    }

    #[test]
    fn answers_are_the_reference_document() {
        let denied = AdmissionResponse {
            allowed: false,
            status: Some(Status {
                code: 403,
                message: "[p] no \"root\"\nplease".to_owned(),
                reason: "Forbidden".to_owned(),
            }),
            warnings: vec!["[w] careful".to_owned()],
            patch: None,
        };
        let mut patched = AdmissionResponse::allow();
        patched.patch = Some(serde_json::json!([
            {"op": "add", "path": "/metadata/labels", "value": {"team": "shop"}}
        ]));
        for response in [AdmissionResponse::allow(), denied, patched] {
            let text = Answer {
                response: &response,
                uid: "u-1",
                v1beta1: false,
                dry_run: false,
            }
            .to_vec();
            let ours: Json = serde_json::from_slice(&text).unwrap();
            assert_eq!(ours, response.to_review_json("u-1"));
        }
        let text = Answer {
            response: &AdmissionResponse::allow(),
            uid: "u-2",
            v1beta1: true,
            dry_run: true,
        }
        .to_vec();
        let ours: Json = serde_json::from_slice(&text).unwrap();
        assert_eq!(
            ours,
            json!({"apiVersion": V1BETA1, "kind": "AdmissionReview",
                   "response": {"uid": "u-2", "allowed": true,
                                "auditAnnotations": {"dry-run": "true"}}})
        );
    }
}
