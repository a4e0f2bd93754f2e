#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod admission;
pub mod error;
pub mod inputs;
pub mod network;
pub mod posture;
pub mod report;
pub mod runtime;

pub use error::{EventsError, InputError, PalisadeError, RulesError};
pub use inputs::{FileKind, LoadedFile};
pub use palisade_core::{
    EnforcementAction, Engine, Finding, FlowRef, Layer, Location, NetworkVerdict, ObjectRef,
    ProcessRef, Severity, Subject, Verdict, manifest,
};
pub use posture::{Posture, PostureContext};
pub use report::{Coverage, Palisade, Report};
