//! The bytecode: a small `Copy` instruction enum over an accumulator, with
//! checks and event-type sets kept in side tables.
//!
//! `a and b and c` becomes `a; jf end; b; jf end; c; end:` — a jump leaves
//! the accumulator as it is, which is the value of the whole `and`/`or`.

use super::pred::{Check, CmpOp, Pred};
use super::{EvtSet, Ir};

/// One instruction. Operands are indexes into the [`Program`]'s side tables
/// or code positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Instr {
    /// `acc = checks[i](event)`.
    Check(u32),
    /// `acc = !checks[i](event)`.
    NotCheck(u32),
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
    /// `acc = checks[i](event)`, then jump when `acc` is false (a check
    /// inside an `and`).
    CheckJf(u32, u32),
    /// `acc = checks[i](event)`, then jump when `acc` is true (inside an `or`).
    CheckJt(u32, u32),
    /// `acc = !checks[i](event)`, then jump when `acc` is false (`and not x`).
    NotCheckJf(u32, u32),
    /// `acc = !checks[i](event)`, then jump when `acc` is true (`or not x`).
    NotCheckJt(u32, u32),
    /// `acc = event code in evtsets[i]`, then jump when `acc` is false.
    EvtTypeJf(u32, u32),
    /// `acc = event code in evtsets[i]`, then jump when `acc` is true.
    EvtTypeJt(u32, u32),
}

impl Instr {
    /// The same instruction jumping to `to` (jumps only).
    fn with_target(self, to: u32) -> Instr {
        match self {
            Instr::JumpIfFalse(_) => Instr::JumpIfFalse(to),
            Instr::JumpIfTrue(_) => Instr::JumpIfTrue(to),
            Instr::CheckJf(i, _) => Instr::CheckJf(i, to),
            Instr::CheckJt(i, _) => Instr::CheckJt(i, to),
            Instr::NotCheckJf(i, _) => Instr::NotCheckJf(i, to),
            Instr::NotCheckJt(i, _) => Instr::NotCheckJt(i, to),
            Instr::EvtTypeJf(i, _) => Instr::EvtTypeJf(i, to),
            Instr::EvtTypeJt(i, _) => Instr::EvtTypeJt(i, to),
            other => other,
        }
    }
}

/// Compiled conditions: one code vector with an entry point per condition,
/// and the side tables its instructions index.
#[derive(Debug, Clone, Default)]
pub struct Program {
    /// The instructions of every condition, each ending with [`Instr::Ret`].
    pub code: Vec<Instr>,
    /// Checks, indexed by [`Instr::Check`]. A check written the same way in
    /// several rules (a shared macro) is stored once, so that a matcher can
    /// evaluate it once per event.
    pub checks: Vec<Check>,
    /// Index of each check by its canonical text.
    check_index: std::collections::HashMap<Box<str>, u32>,
    /// Event-type sets, indexed by [`Instr::EvtType`], with their text.
    pub evtsets: Vec<(EvtSet, Box<str>)>,
    /// Check families (see [`super::family`]), set by [`Program::group_checks`].
    pub families: Vec<super::family::Family>,
    /// Pattern families (see [`super::family::PatternFamily`]), set by
    /// [`Program::group_checks`].
    pub patterns: Vec<super::family::PatternFamily>,
    /// Per check, the family answering it.
    pub member_of: Vec<super::family::Member>,
}

impl Program {
    /// Groups the equality/membership checks of each plain string field
    /// into families answered by one lookup per event, and its
    /// `contains`/`startswith`/`endswith` checks into families answered by
    /// one search per event.
    pub fn group_checks(&mut self, single_valued: &dyn Fn(&crate::fields::FieldRef) -> bool) {
        let (families, mut member_of) = super::family::families(&self.checks, single_valued);
        self.patterns =
            super::family::pattern_families(&self.checks, single_valued, &mut member_of);
        self.families = families;
        self.member_of = member_of;
    }
}

fn idx(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The accumulator value with which `instr` jumps, and where to.
fn jump_of(instr: Instr) -> Option<(bool, u32)> {
    match instr {
        Instr::JumpIfTrue(to)
        | Instr::CheckJt(_, to)
        | Instr::NotCheckJt(_, to)
        | Instr::EvtTypeJt(_, to) => Some((true, to)),
        Instr::JumpIfFalse(to)
        | Instr::CheckJf(_, to)
        | Instr::NotCheckJf(_, to)
        | Instr::EvtTypeJf(_, to) => Some((false, to)),
        _ => None,
    }
}

/// The leaf (a check, or a negated check) an `and` starts with, by text.
fn leading_leaf(ir: &Ir) -> Option<(bool, &str)> {
    let first = match ir {
        Ir::And(children) => children.first()?,
        _ => return None,
    };
    match first {
        Ir::Check(check) => Some((true, &check.text)),
        Ir::Not(inner) => match &**inner {
            Ir::Check(check) => Some((false, &check.text)),
            _ => None,
        },
        _ => None,
    }
}

/// `(a and x) or (a and y)` becomes `a and (x or y)` when every branch of
/// an `or` starts with the same check `a` (`(open_read and ...) or
/// (open_directory and ...)` both start with `evt.is_open_read = true`):
/// `a` is evaluated first either way, and can then guard the rule.
fn factor(ir: Ir) -> Ir {
    match ir {
        Ir::And(children) => Ir::And(children.into_iter().map(factor).collect()),
        Ir::Or(children) => {
            let children: Vec<Ir> = children.into_iter().map(factor).collect();
            let shared = children.len() >= 2
                && children
                    .first()
                    .and_then(leading_leaf)
                    .is_some_and(|first| children.iter().all(|c| leading_leaf(c) == Some(first)));
            if !shared {
                return Ir::Or(children);
            }
            let mut leaf = None;
            let mut rests = Vec::with_capacity(children.len());
            for child in children {
                if let Ir::And(mut parts) = child {
                    let head = parts.remove(0);
                    leaf.get_or_insert(head);
                    rests.push(Ir::And(parts));
                }
            }
            match leaf {
                Some(leaf) => Ir::And(vec![leaf, Ir::Or(rests)]),
                None => Ir::Or(rests),
            }
        }
        other => other,
    }
}

/// `ir` with the leading checks of a top-level `and` stably reordered so
/// that membership, numeric equality and flag tests (`proc.name in
/// (...)`, `proc.vpid = 1`, `evt.is_open_write = true`), which few events
/// pass, come first: the first one becomes the rule's
/// guard, and the matcher skips the rule without entering its code when it
/// fails. Checks have no side effects and the logic is two-valued, so the
/// order of an `and` changes no verdict.
fn selective_first(ir: Ir) -> Ir {
    let Ir::And(mut children) = ir else {
        return ir;
    };
    let leading = children
        .iter()
        .take_while(|c| matches!(c, Ir::Check(_) | Ir::EvtType(..)))
        .count();
    if let Some(run) = children.get_mut(..leading) {
        run.sort_by_key(|c| match c {
            Ir::Check(check) if check.source.is_plain() => match check.pred {
                Pred::StrIn(_) | Pred::NumIn(_) | Pred::Num(CmpOp::Eq, _) | Pred::Bool(_) => 0,
                _ => 1,
            },
            _ => 1,
        });
    }
    Ir::And(children)
}

/// `ir` (negated when `negate`) with every `not` moved down to the checks
/// and event-type tests, and nested chains of the same kind flattened.
fn push_not(ir: Ir, negate: bool) -> Ir {
    match ir {
        Ir::Const(b) => Ir::Const(b != negate),
        Ir::Not(child) => push_not(*child, !negate),
        Ir::And(children) | Ir::Or(children) if children.is_empty() => Ir::Const(!negate),
        Ir::And(children) => chain(children, negate, !negate),
        Ir::Or(children) => chain(children, negate, negate),
        Ir::EvtType(set, text) if negate => {
            Ir::EvtType(set.complement(), format!("not {text}").into())
        }
        leaf @ (Ir::Check(_) | Ir::EvtType(..)) => {
            if negate {
                Ir::Not(Box::new(leaf))
            } else {
                leaf
            }
        }
    }
}

/// The children of a chain, each negated when `negate`, joined by `and`
/// when `is_and` (else `or`); children of the same kind are spliced in.
fn chain(children: Vec<Ir>, negate: bool, is_and: bool) -> Ir {
    let mut out = Vec::with_capacity(children.len());
    for child in children {
        match push_not(child, negate) {
            Ir::And(inner) if is_and => out.extend(inner),
            Ir::Or(inner) if !is_and => out.extend(inner),
            other => out.push(other),
        }
    }
    if is_and { Ir::And(out) } else { Ir::Or(out) }
}

impl Program {
    /// Appends the code of `ir`, followed by `Ret`; returns its entry point.
    ///
    /// Negations are first pushed down to the checks (De Morgan: the VM's
    /// logic is two-valued, an absent field already made each check false),
    /// so that `and not (proc.name = x and ...)` exceptions cost one fused
    /// instruction when their first check fails; jumps that land on a jump
    /// whose outcome they imply are then threaded through it.
    pub fn emit(&mut self, ir: Ir) -> u32 {
        let entry = idx(self.code.len());
        self.emit_node(selective_first(factor(push_not(ir, false)).fold()));
        self.code.push(Instr::Ret);
        self.thread_jumps(entry as usize);
        entry
    }

    /// Retargets every conditional jump from `from` on that lands on a
    /// conditional jump: the accumulator a jump leaves is known (true for
    /// `jt` jumps, false for `jf` ones), so the landing jump is either taken
    /// (go to its target) or not (go past it).
    fn thread_jumps(&mut self, from: usize) {
        for pc in from..self.code.len() {
            let Some(&instr) = self.code.get(pc) else {
                continue;
            };
            let Some((when, mut to)) = jump_of(instr) else {
                continue;
            };
            // Bounded: each step moves to a later position.
            for _ in 0..self.code.len() {
                let next = match self.code.get(to as usize) {
                    Some(&Instr::JumpIfTrue(x)) => {
                        if when {
                            x
                        } else {
                            to + 1
                        }
                    }
                    Some(&Instr::JumpIfFalse(x)) => {
                        if when {
                            to + 1
                        } else {
                            x
                        }
                    }
                    _ => break,
                };
                if next <= to {
                    break;
                }
                to = next;
            }
            if let Some(slot) = self.code.get_mut(pc) {
                *slot = instr.with_target(to);
            }
        }
    }

    fn emit_node(&mut self, ir: Ir) {
        match ir {
            Ir::Const(b) => self.code.push(Instr::Const(b)),
            Ir::Not(child) => match *child {
                Ir::Check(check) => {
                    let i = self.check_index(*check);
                    self.code.push(Instr::NotCheck(i));
                }
                other => {
                    self.emit_node(other);
                    self.code.push(Instr::Not);
                }
            },
            Ir::EvtType(set, text) => {
                self.code.push(Instr::EvtType(idx(self.evtsets.len())));
                self.evtsets.push((set, text));
            }
            Ir::Check(check) => {
                let i = self.check_index(*check);
                self.code.push(Instr::Check(i));
            }
            Ir::And(children) | Ir::Or(children) if children.is_empty() => {
                self.code.push(Instr::Const(true))
            }
            Ir::And(children) => self.emit_chain(children, true),
            Ir::Or(children) => self.emit_chain(children, false),
        }
    }

    fn check_index(&mut self, check: Check) -> u32 {
        let next = idx(self.checks.len());
        let i = *self.check_index.entry(check.text.clone()).or_insert(next);
        if i == next {
            self.checks.push(check);
        }
        i
    }

    /// Emits `child` followed by a jump out of the chain (patched later),
    /// fused into one instruction when the child is a check, a negated
    /// check or an event-type test.
    fn emit_with_jump(&mut self, child: Ir, is_and: bool) -> usize {
        let fused = match child {
            Ir::Check(check) => {
                let i = self.check_index(*check);
                if is_and {
                    Instr::CheckJf(i, 0)
                } else {
                    Instr::CheckJt(i, 0)
                }
            }
            Ir::Not(inner) if matches!(*inner, Ir::Check(_)) => {
                let Ir::Check(check) = *inner else {
                    return self.code.len();
                };
                let i = self.check_index(*check);
                if is_and {
                    Instr::NotCheckJf(i, 0)
                } else {
                    Instr::NotCheckJt(i, 0)
                }
            }
            Ir::EvtType(set, text) => {
                let i = idx(self.evtsets.len());
                self.evtsets.push((set, text));
                if is_and {
                    Instr::EvtTypeJf(i, 0)
                } else {
                    Instr::EvtTypeJt(i, 0)
                }
            }
            other => {
                self.emit_node(other);
                if is_and {
                    Instr::JumpIfFalse(0)
                } else {
                    Instr::JumpIfTrue(0)
                }
            }
        };
        self.code.push(fused);
        self.code.len() - 1
    }

    fn emit_chain(&mut self, children: Vec<Ir>, is_and: bool) {
        let mut patches = Vec::new();
        let last = children.len().saturating_sub(1);
        for (i, child) in children.into_iter().enumerate() {
            if i < last {
                patches.push(self.emit_with_jump(child, is_and));
            } else {
                self.emit_node(child);
            }
        }
        let end = idx(self.code.len());
        for at in patches {
            if let Some(slot) = self.code.get_mut(at) {
                *slot = slot.with_target(end);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructions_stay_small() {
        assert_eq!(std::mem::size_of::<Instr>(), 12);
    }

    fn one(code: u16) -> EvtSet {
        let mut set = EvtSet::EMPTY;
        set.insert(code);
        set
    }

    #[test]
    fn chains_jump_to_their_end() {
        let mut p = Program::default();
        let entry = p.emit(Ir::And(vec![
            Ir::EvtType(one(1), "a".into()),
            Ir::Not(Box::new(Ir::EvtType(one(2), "b".into()))),
            Ir::EvtType(one(3), "c".into()),
        ]));
        assert_eq!(entry, 0);
        // `not b` became the complement set (negations pushed down).
        assert_eq!(
            p.code,
            vec![
                Instr::EvtTypeJf(0, 3),
                Instr::EvtTypeJf(1, 3),
                Instr::EvtType(2),
                Instr::Ret
            ]
        );
        assert_eq!(p.evtsets[1].0, one(2).complement());
        assert_eq!(&*p.evtsets[1].1, "not b");
    }

    #[test]
    fn constant_chains_fold() {
        let mut p = Program::default();
        p.emit(Ir::And(vec![
            Ir::Const(true),
            Ir::Not(Box::new(Ir::Const(false))),
        ]));
        assert_eq!(p.code, vec![Instr::Const(true), Instr::Ret]);
    }
}
