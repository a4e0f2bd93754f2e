#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod admission;
pub mod error;
pub mod inputs;
pub mod network;
pub mod posture;
pub mod report;
pub mod runtime;

pub use error::{
    EventsError, InputError, PalisadeError, PoliciesError, ReadError, RulesError, RulesLoadError,
};
pub use inputs::{FileKind, LoadedFile};
pub use palisade_core::{
    Audit, EnforcementAction, Engine, Finding, FlowRef, Layer, Location, NetworkVerdict, ObjectRef,
    Position, Positions, ProcessRef, Severity, Subject, Verdict, duration, manifest, selector,
    walk,
};
pub use posture::{Posture, PostureContext};
pub use report::{Coverage, Palisade, Report, WorkloadFix};
