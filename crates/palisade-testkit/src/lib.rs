//! Test support for the Palisade workspace, used only as a
//! dev-dependency (`publish = false`).
//!
//! - [`corpus`]: the shared corpus of real inputs (Falco, Gatekeeper,
//!   Kyverno, Pod Security Admission, netpol-analyzer), found once for
//!   every test and bench.

pub mod corpus;

pub use corpus::{corpus, corpus_root};
