//! Test support for the Palisade workspace, used only as a
//! dev-dependency (`publish = false`).
//!
//! - [`corpus`](mod@corpus): the shared corpus of real inputs (Falco, Gatekeeper,
//!   Kyverno, Pod Security Admission, netpol-analyzer), found once for
//!   every test and bench;
//! - [`bad_input`]: suites of malformed inputs, each with its exact error
//!   message in `<case>.expected`;
//! - [`bless`]: expected-output files, compared, or regenerated with
//!   `PALISADE_BLESS=1`;
//! - [`compare`]: outputs compared with another tool's as sets of lines;
//! - [`command`]: running a built binary, for command-line tests that
//!   case files cannot state, and reading its exit code and JSON output;
//! - [`http`]: a real HTTP server on loopback recording what is POSTed
//!   to it;
//! - [`sources`]: the Rust files of a folder, for tests that read the
//!   workspace's own code;
//! - [`fuzz`]: the fuzz targets' seeds and regression inputs, replayed by
//!   `cargo test`;
//! - [`threads`]: one engine shared by many threads gives each the answers
//!   it gives one.

pub mod bad_input;
pub mod bless;
pub mod command;
pub mod compare;
pub mod corpus;
pub mod fuzz;
pub mod http;
pub mod sources;
pub mod threads;

pub use corpus::{captures, corpus, corpus_root};
