//! One finding type for every layer, so that admission audit results, runtime
//! alerts and network violations land in one report.

use serde::{Deserialize, Serialize};

use crate::{Layer, Location, Severity, Subject};

/// Something a policy found: an admission violation, a runtime alert, a
/// network audit result.
///
/// Serialized with serde; optional parts are left out when absent:
///
/// ```
/// use palisade_core::{Finding, Layer, ObjectRef, Severity, Subject};
///
/// let finding = Finding::new(Layer::Admission, "k8srequiredlabels", Severity::Error, "missing label `owner`")
///     .with_subject(Subject::Object(ObjectRef {
///         api_version: "v1".into(),
///         kind: "Pod".into(),
///         namespace: Some("shop".into()),
///         name: "web".into(),
///     }));
/// let json = serde_json::to_value(&finding).unwrap();
/// assert_eq!(json["layer"], "admission");
/// assert_eq!(json["subject"]["type"], "object");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Finding {
    /// The layer that produced it.
    pub layer: Layer,
    /// The policy, constraint or rule that produced it.
    pub policy: String,
    /// How urgent it is.
    pub severity: Severity,
    /// What was found, in words for a person.
    pub message: String,
    /// What it is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Subject>,
    /// Where the subject (or the policy) was defined, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

impl Finding {
    /// A finding without subject or location.
    pub fn new(
        layer: Layer,
        policy: impl Into<String>,
        severity: Severity,
        message: impl Into<String>,
    ) -> Finding {
        Finding {
            layer,
            policy: policy.into(),
            severity,
            message: message.into(),
            subject: None,
            location: None,
        }
    }

    /// The same finding, about `subject`.
    pub fn with_subject(mut self, subject: Subject) -> Finding {
        self.subject = Some(subject);
        self
    }

    /// The same finding, located at `location`.
    pub fn with_location(mut self, location: Location) -> Finding {
        self.location = Some(location);
        self
    }
}
