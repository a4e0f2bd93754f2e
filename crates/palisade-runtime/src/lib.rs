//! Runtime detection: Falco rules files, unchanged, compiled once to bytecode
//! and matched against system events.
//!
//! Modules:
//!
//! - [`loader`] — rules files: rules, macros, lists, exceptions, append/override;
//! - [`parser`] / [`ast`] — the condition language (a `pest` grammar) and its AST;
//! - [`fields`] — the typed field schema, extensible by embedders;
//! - `compile` (internal) — AST -> typed IR -> bytecode, event-type
//!   extraction;
//! - [`ruleset`] — the immutable `RuleSet` indexed by event type and the
//!   per-thread `Matcher`, run by the interpreter in `vm` (internal);
//! - [`engine`] — the ruleset with its outputs compiled, behind
//!   `palisade_core::Engine`;
//! - [`event`] — the `Event` trait and `FlatEvent` (JSON lines);
//! - [`k8saudit`] — the `k8s_audit` source: Kubernetes audit events and
//!   the `ka.*`/`jevt.*` fields of Falco's k8saudit and json plugins;
//! - [`disasm`] — bytecode listings;
//! - [`output`] — rule outputs rendered as Falco does;
//! - [`alerts`] / [`sinks`] — selection, dedup, rate limits, summaries, and
//!   delivery (the HTTP and program sinks behind the `http-sink` and
//!   `program-sink` features, on by default in this crate);
//! - [`builtin`] — Palisade's own rules and demo events.
//! - [`scap`] — `.scap` captures read natively (blocks, event records, metadata);
//!
//! See `docs/runtime.md` for the language, the semantics and embedding.

pub mod alerts;
pub mod ast;
pub mod builtin;
pub(crate) mod compile;
pub mod disasm;
pub mod engine;
pub mod event;
pub mod fields;
pub mod k8saudit;
pub mod loader;
pub mod output;
pub mod parser;
pub mod ruleset;
pub mod scap;
pub mod sinks;
pub(crate) mod vm;
