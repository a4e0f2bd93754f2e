//! Runtime detection: Falco rules files, unchanged, compiled once to bytecode
//! and matched against system events.
//!
//! **Status: not built yet.** This crate holds only its plan; see the
//! runtime issues. Planned modules:
//!
//! - `loader` — rules files: rules, macros, lists, exceptions, append/override;
//! - `grammar` — the condition language (a `pest` grammar) and its AST;
//! - `fields` — the typed field schema, extensible by embedders;
//! - `compile` — AST -> typed IR -> bytecode, event-type index;
//! - `vm` — the immutable `RuleSet` and the per-thread `Matcher`;
//! - `event` — the event trait and `FlatEvent` (JSON lines);
//! - `alerts` — output formatting, selection, dedup, rate limits, sinks.

#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

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
