//! The bytecode: a small `Copy` instruction enum over an accumulator, with
//! checks and event-type sets kept in side tables.
//!
//! `a and b and c` becomes `a; jf end; b; jf end; c; end:` — a jump leaves
//! the accumulator as it is, which is the value of the whole `and`/`or`.

use super::pred::Check;
use super::{EvtSet, Ir};

/// One instruction. Operands are indexes into the [`Program`]'s side tables
/// or code positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Instr {
    /// `acc = checks[i](event)`.
    Check(u32),
    /// `acc = event code in evtsets[i]`.
    EvtType(u32),
    /// `acc = b`.
    Const(bool),
    /// `acc = !acc`.
    Not,
    /// Jump to the position when `acc` is false.
    JumpIfFalse(u32),
    /// Jump to the position when `acc` is true.
    JumpIfTrue(u32),
    /// The condition's value is `acc`.
    Ret,
}

/// Compiled conditions: one code vector with an entry point per condition,
/// and the side tables its instructions index.
#[derive(Debug, Clone, Default)]
pub struct Program {
    /// The instructions of every condition, each ending with [`Instr::Ret`].
    pub code: Vec<Instr>,
    /// Checks, indexed by [`Instr::Check`].
    pub checks: Vec<Check>,
    /// Event-type sets, indexed by [`Instr::EvtType`], with their text.
    pub evtsets: Vec<(EvtSet, Box<str>)>,
}

fn idx(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Program {
    /// Appends the code of `ir`, followed by `Ret`; returns its entry point.
    pub fn emit(&mut self, ir: Ir) -> u32 {
        let entry = idx(self.code.len());
        self.emit_node(ir);
        self.code.push(Instr::Ret);
        entry
    }

    fn emit_node(&mut self, ir: Ir) {
        match ir {
            Ir::Const(b) => self.code.push(Instr::Const(b)),
            Ir::Not(child) => {
                self.emit_node(*child);
                self.code.push(Instr::Not);
            }
            Ir::EvtType(set, text) => {
                self.code.push(Instr::EvtType(idx(self.evtsets.len())));
                self.evtsets.push((set, text));
            }
            Ir::Check(check) => {
                self.code.push(Instr::Check(idx(self.checks.len())));
                self.checks.push(*check);
            }
            Ir::And(children) | Ir::Or(children) if children.is_empty() => {
                self.code.push(Instr::Const(true))
            }
            Ir::And(children) => self.emit_chain(children, true),
            Ir::Or(children) => self.emit_chain(children, false),
        }
    }

    fn emit_chain(&mut self, children: Vec<Ir>, is_and: bool) {
        let mut patches = Vec::new();
        let last = children.len().saturating_sub(1);
        for (i, child) in children.into_iter().enumerate() {
            self.emit_node(child);
            if i < last {
                patches.push(self.code.len());
                self.code.push(if is_and {
                    Instr::JumpIfFalse(0)
                } else {
                    Instr::JumpIfTrue(0)
                });
            }
        }
        let end = idx(self.code.len());
        for at in patches {
            if let Some(slot) = self.code.get_mut(at) {
                *slot = if is_and {
                    Instr::JumpIfFalse(end)
                } else {
                    Instr::JumpIfTrue(end)
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructions_stay_small() {
        assert_eq!(std::mem::size_of::<Instr>(), 8);
    }

    #[test]
    fn chains_jump_to_their_end() {
        let mut p = Program::default();
        let entry = p.emit(Ir::And(vec![
            Ir::Const(true),
            Ir::Not(Box::new(Ir::Const(false))),
            Ir::Const(true),
        ]));
        assert_eq!(entry, 0);
        assert_eq!(
            p.code,
            vec![
                Instr::Const(true),
                Instr::JumpIfFalse(6),
                Instr::Const(false),
                Instr::Not,
                Instr::JumpIfFalse(6),
                Instr::Const(true),
                Instr::Ret
            ]
        );
    }
}
