//! Runtime detection: Falco rules files, unchanged, compiled once to bytecode
//! and matched against system events.
//!
//! Modules:
//!
//! - [`loader`] — rules files: rules, macros, lists, exceptions, append/override;
//! - [`parser`] / [`ast`] — the condition language (a `pest` grammar) and its AST;
//! - [`fields`] — the typed field schema, extensible by embedders;
//! - [`compile`] — AST -> typed IR -> bytecode, event-type extraction;
//! - [`ruleset`] / [`vm`] — the immutable `RuleSet` indexed by event type,
//!   the per-thread `Matcher`, and the interpreter;
//! - [`event`] — the `Event` trait and `FlatEvent` (JSON lines);
//! - [`disasm`] — bytecode listings;
//! - `alerts` — output formatting, selection, dedup, rate limits, sinks
//!   (alert pipeline issue).
//!
//! See `docs/runtime.md` for the language, the semantics and embedding.

pub mod alerts;
pub mod ast;
pub mod builtin;
pub mod compile;
pub mod disasm;
pub mod event;
pub mod fields;
pub mod loader;
pub mod output;
pub mod parser;
pub mod ruleset;
pub mod sinks;
pub mod vm;
