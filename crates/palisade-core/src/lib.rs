#![doc = include_str!("../README.md")]

pub mod coverage;
pub mod duration;
pub mod engine;
pub mod finding;
pub mod layer;
pub mod location;
pub mod manifest;
pub mod names;
pub mod positions;
pub mod selector;
pub mod severity;
pub mod subject;
pub mod walk;
pub mod yaml;
mod yaml_depth;
pub mod yaml_edit;

pub use coverage::{Audit, Coverage};
pub use engine::{Engine, Verdict};
pub use finding::Finding;
pub use layer::Layer;
pub use location::Location;
pub use manifest::{LoadReport, Manifest, ManifestError, Source};
pub use positions::{Position, Positions};
pub use severity::{EnforcementAction, NetworkVerdict, ParseSeverityError, Severity};
pub use subject::{FlowRef, ObjectRef, ProcessRef, Subject};
