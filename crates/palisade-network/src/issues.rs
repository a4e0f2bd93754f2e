//! Problems met while reading manifests and policies: nothing that is not
//! understood is silently ignored; it is reported with the file, line and
//! column of the offending field.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use palisade_core::{Location, Manifest, Positions, Source};

/// Where a piece of a policy or workload came from: the object and its
/// position (the manifest [`Source`]), and the positions of its fields so
/// that a problem can point at the field it is about.
///
/// Two origins are equal when they name the same object at the same place;
/// the field positions take no part in comparisons.
#[derive(Debug, Clone)]
pub struct Origin {
    /// `Kind namespace/name` of the object.
    pub object: String,
    /// Where the object starts, when it came from a file.
    pub location: Option<Location>,
    /// Where each field of the object stands (empty when unknown).
    positions: Arc<Positions>,
}

impl Origin {
    /// An origin without a file (built in code).
    pub fn none() -> Origin {
        Origin {
            object: String::new(),
            location: None,
            positions: Arc::default(),
        }
    }

    /// The origin of an object loaded from `source`, without field
    /// positions (every field is located at the object's start).
    pub fn new(object: impl Into<String>, source: &Source) -> Origin {
        Origin {
            object: object.into(),
            location: Some(source.location()),
            positions: Arc::default(),
        }
    }

    /// The origin of manifest `m`, with the positions of its fields.
    pub fn of(m: &Manifest) -> Origin {
        Origin {
            object: m.object_ref().to_string(),
            location: Some(m.source.location()),
            positions: Arc::clone(&m.positions),
        }
    }

    /// Where `field` (`spec.ingress[0].from`) is written in the object,
    /// or the closest enclosing field that is; `None` for an origin
    /// without a file.
    pub fn locate(&self, field: &str) -> Option<Location> {
        let object = self.location.as_ref()?;
        Some(self.positions.locate(object, field))
    }

    fn key(&self) -> (&str, Option<&Location>) {
        (&self.object, self.location.as_ref())
    }
}

impl PartialEq for Origin {
    fn eq(&self, other: &Origin) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Origin {}

impl Hash for Origin {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}

impl PartialOrd for Origin {
    fn partial_cmp(&self, other: &Origin) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Origin {
    fn cmp(&self, other: &Origin) -> Ordering {
        self.key().cmp(&other.key())
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.location, self.object.is_empty()) {
            (Some(l), false) => write!(f, "{l}: {}", self.object),
            (Some(l), true) => write!(f, "{l}"),
            (None, false) => f.write_str(&self.object),
            (None, true) => f.write_str("<built in>"),
        }
    }
}

/// `file:line:column: Kind ns/name` with the field's position when known,
/// else the origin as it displays.
fn at(origin: &Origin, location: &Option<Location>) -> String {
    match location {
        Some(l) if origin.object.is_empty() => l.to_string(),
        Some(l) => format!("{l}: {}", origin.object),
        None => origin.to_string(),
    }
}

/// One problem found while loading, as a diagnostic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum LoadIssue {
    /// A field Palisade does not understand (unknown, or not modelled);
    /// the verdicts do not take it into account.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Unsupported(#[from] UnsupportedField),
    /// A field whose value is invalid; it is not used.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Invalid(#[from] InvalidField),
    /// A field that is understood but deliberately not modelled (for
    /// example IPv6 in connectivity lists); reported as a warning.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Ignored(#[from] IgnoredField),
}

impl LoadIssue {
    /// The object, the field's location and its path, whatever the kind.
    fn parts(&self) -> (&Origin, Option<&Location>, &str) {
        let (origin, location, field) = match self {
            LoadIssue::Unsupported(e) => (&e.origin, &e.location, &e.field),
            LoadIssue::Invalid(e) => (&e.origin, &e.location, &e.field),
            LoadIssue::Ignored(e) => (&e.origin, &e.location, &e.field),
        };
        (origin, location.as_ref(), field)
    }

    /// The object holding the field, and where it starts.
    pub fn origin(&self) -> &Origin {
        self.parts().0
    }

    /// Where the field is written (or the closest enclosing field that
    /// is), when the object came from a file.
    pub fn location(&self) -> Option<&Location> {
        self.parts().1
    }

    /// The field path inside the object (`spec.ingress[0].from[1]`).
    pub fn field(&self) -> &str {
        self.parts().2
    }

    /// `true` for warnings (ignored on purpose), `false` for errors.
    pub fn is_warning(&self) -> bool {
        matches!(self, LoadIssue::Ignored(_))
    }
}

/// Declares one kind of field problem: the object, where the field is
/// written, its path and the message (one shape for the three kinds).
macro_rules! field_problem {
    ($(#[$meta:meta])* $name:ident, $message:literal) => {
        #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
        #[error("{}: `{field}`: {message}", at(.origin, .location))]
        $(#[$meta])*
        pub struct $name {
            /// The object and its position.
            pub origin: Origin,
            /// Where the field is written (or the closest enclosing field that is).
            pub location: Option<Location>,
            /// The field path.
            pub field: String,
            #[doc = $message]
            pub message: String,
        }

        impl $name {
            fn at(origin: &Origin, field: &str, message: &str) -> $name {
                $name {
                    origin: origin.clone(),
                    location: origin.locate(field),
                    field: field.to_owned(),
                    message: message.to_owned(),
                }
            }
        }
    };
}

field_problem! {
    /// A field Palisade does not understand.
    #[diagnostic(
        code(palisade::network::unsupported),
        help("the verdicts do not take this field into account; remove it or file an issue")
    )]
    UnsupportedField, "What is not understood."
}

field_problem! {
    /// A field whose value is invalid.
    #[diagnostic(
        code(palisade::network::invalid),
        help("fix the value; the API server would refuse it")
    )]
    InvalidField, "What is wrong."
}

field_problem! {
    /// A field deliberately left out of the model.
    #[diagnostic(code(palisade::network::ignored))]
    IgnoredField, "Why it is left out."
}

/// The problems of one load, in the order they were met.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Issues(Vec<LoadIssue>);

impl Issues {
    /// Records a field that is not understood.
    pub fn unsupported(&mut self, origin: &Origin, field: &str, message: &str) {
        self.0
            .push(UnsupportedField::at(origin, field, message).into());
    }

    /// Records an invalid field.
    pub fn invalid(&mut self, origin: &Origin, field: &str, message: &str) {
        self.0.push(InvalidField::at(origin, field, message).into());
    }

    /// `value` as a mapping; when it is not one, records that `what` at
    /// `field` must be a mapping.
    pub(crate) fn mapping<'j>(
        &mut self,
        value: &'j serde_json::Value,
        origin: &Origin,
        field: &str,
        what: &str,
    ) -> Option<&'j serde_json::Map<String, serde_json::Value>> {
        let map = value.as_object();
        if map.is_none() {
            self.invalid(origin, field, &format!("{what} must be a mapping"));
        }
        map
    }

    /// Records a field left out of the model on purpose.
    pub fn ignored(&mut self, origin: &Origin, field: &str, message: &str) {
        self.0.push(IgnoredField::at(origin, field, message).into());
    }

    /// Adds another list's issues after these.
    pub fn extend(&mut self, other: Issues) {
        self.0.extend(other.0);
    }

    /// The issues.
    pub fn iter(&self) -> std::slice::Iter<'_, LoadIssue> {
        self.0.iter()
    }

    /// How many issues.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// `true` when there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `true` when some issue is an error (not a warning).
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|i| !i.is_warning())
    }
}

impl<'a> IntoIterator for &'a Issues {
    type Item = &'a LoadIssue;
    type IntoIter = std::slice::Iter<'a, LoadIssue>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// Reports every key of `object` not in `allowed` as unsupported.
pub(crate) fn check_keys(
    object: &serde_json::Map<String, serde_json::Value>,
    allowed: &[&str],
    path: &str,
    origin: &Origin,
    issues: &mut Issues,
) {
    for key in object.keys() {
        if !allowed.contains(&key.as_str()) {
            let field = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            issues.unsupported(origin, &field, "unknown field");
        }
    }
}
