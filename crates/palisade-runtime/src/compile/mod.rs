//! Conditions compiled in stages, one module per job: the AST
//! ([`crate::ast`]) is resolved against the field schema and type-checked
//! into a typed IR ([`Ir`], in `ir`) by `lower`, whose operands are prepared
//! once ([`pred`]); the IR is constant-folded (`fold`), its event types
//! (sets of event codes, `evtset`) extracted with Falco's and/or/not
//! semantics, and written as bytecode ([`bytecode`]). What can go wrong is
//! in `error`.

pub mod bytecode;
pub mod checker;
mod error;
mod evtset;
pub mod family;
mod fold;
pub mod glob;
mod ir;
mod lower;
pub mod pred;

pub use error::CompileError;
pub use evtset::EvtSet;
pub use fold::drop_indexed_tests;
pub use ir::Ir;
pub use lower::{lower, lower_indexed};
