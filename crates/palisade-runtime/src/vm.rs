//! The interpreter loop: runs one condition's bytecode on one event.

use crate::compile::bytecode::{Instr, Program};
use crate::compile::family::Member;
use crate::compile::pred::Scratch;
use crate::event::{Event, Value};

/// Per-thread state of the interpreter: transformer buffers, and the
/// results of the checks already evaluated on the current event (rules
/// sharing a macro evaluate its checks once per event).
#[derive(Debug, Clone)]
pub struct State {
    scratch: Scratch,
    /// Per check: `generation << 1 | result`, valid when the generation is
    /// the current one.
    memo: Vec<u32>,
    /// Per check family: the generation it was looked up in, and the id of
    /// the event's value (see [`NO_VALUE`], [`NOT_A_STRING`]).
    families: Vec<(u32, u32)>,
    /// Per pattern family: the generation it was searched in, and the
    /// offset of its bit set (one bit per member) in `pattern_bits`.
    patterns: Vec<(u32, u32)>,
    /// The members of pattern families holding on the current event.
    pattern_bits: Vec<u64>,
    generation: u32,
}

/// The event's value is absent or no member compares with it.
const NO_VALUE: u32 = u32::MAX;
/// The event's value is not a single string: members are evaluated one by one.
const NOT_A_STRING: u32 = u32::MAX - 1;

impl State {
    /// State for `program`.
    pub fn new(program: &Program) -> State {
        State {
            scratch: Scratch::default(),
            memo: vec![0; program.checks.len()],
            families: vec![(0, NO_VALUE); program.families.len()],
            patterns: program
                .patterns
                .iter()
                .scan(0u32, |offset, family| {
                    let at = *offset;
                    *offset += u32::try_from(family.members.len().div_ceil(64)).unwrap_or(0);
                    Some((0, at))
                })
                .collect(),
            pattern_bits: vec![
                0;
                program
                    .patterns
                    .iter()
                    .map(|f| f.members.len().div_ceil(64))
                    .sum()
            ],
            generation: 1,
        }
    }

    /// Forgets the check results of the previous event.
    #[inline]
    pub fn next_event(&mut self) {
        self.generation = self.generation.wrapping_add(1) & (u32::MAX >> 1);
        if self.generation == 0 {
            self.memo.fill(0);
            self.families.fill((0, NO_VALUE));
            for slot in &mut self.patterns {
                slot.0 = 0;
            }
            self.generation = 1;
        }
    }
}

/// The result of check `i` on `event`, evaluated at most once per event:
/// a repeated check costs one load here, the first one runs
/// [`first_check`].
#[inline(always)]
pub(crate) fn check<E: Event + ?Sized>(
    program: &Program,
    i: u32,
    event: &E,
    state: &mut State,
) -> bool {
    match state.memo.get(i as usize) {
        Some(&slot) if slot >> 1 == state.generation => slot & 1 == 1,
        _ => first_check(program, i, event, state),
    }
}

/// Check `i` on `event`, not yet evaluated on it: answered by its family
/// when it has one, else evaluated; the result is memoized. Each path is a
/// function of its own, so that this dispatch stays small.
#[inline]
fn first_check<E: Event + ?Sized>(program: &Program, i: u32, event: &E, state: &mut State) -> bool {
    let by_family = match program.member_of.get(i as usize) {
        Some(&Member::Value { family, position }) => {
            value_check(program, family, position, event, state)
        }
        Some(&Member::Pattern { family, position }) => {
            pattern_check(program, family, position, event, state)
        }
        _ => None,
    };
    let answer = match by_family {
        Some(answer) => answer,
        None => eval_check(program, i, event, state),
    };
    if let Some(slot) = state.memo.get_mut(i as usize) {
        *slot = (state.generation << 1) | u32::from(answer);
    }
    answer
}

/// Member `position` of value family `family`: one lookup of the event's
/// value per event answers every member. `None` when the value is a list
/// (each check then runs alone).
#[inline(never)]
fn value_check<E: Event + ?Sized>(
    program: &Program,
    family: u32,
    position: u32,
    event: &E,
    state: &mut State,
) -> Option<bool> {
    let generation = state.generation;
    let fam = program.families.get(family as usize)?;
    let slot = state.families.get_mut(family as usize)?;
    if slot.0 != generation {
        let vid = match event.value(&fam.field) {
            Value::Str(s) => fam.value_id(s.as_bytes()).unwrap_or(NO_VALUE),
            Value::Bytes(b) => fam.value_id(b).unwrap_or(NO_VALUE),
            Value::Strs(_) => NOT_A_STRING,
            _ => NO_VALUE,
        };
        *slot = (generation, vid);
    }
    match slot.1 {
        NO_VALUE => Some(false),
        NOT_A_STRING => None,
        vid => Some(fam.holds(vid, position)),
    }
}

/// Check `i` evaluated alone on `event`.
#[inline(never)]
fn eval_check<E: Event + ?Sized>(program: &Program, i: u32, event: &E, state: &mut State) -> bool {
    program
        .checks
        .get(i as usize)
        .is_some_and(|c| c.eval(event, &mut state.scratch))
}

/// Member `position` of pattern family `family`: on the family's first
/// use in an event, one search of the event's value finds every member
/// that holds. `None` when the value is a list or the search cannot run
/// (each check then runs alone).
#[inline(never)]
fn pattern_check<E: Event + ?Sized>(
    program: &Program,
    family: u32,
    position: u32,
    event: &E,
    state: &mut State,
) -> Option<bool> {
    let generation = state.generation;
    let slot = state.patterns.get_mut(family as usize)?;
    let offset = slot.1 as usize;
    let fam = program.patterns.get(family as usize)?;
    let words = fam.members.len().div_ceil(64);
    let bits = state.pattern_bits.get_mut(offset..offset + words)?;
    if slot.0 != generation {
        let value: &[u8] = match event.value(&fam.field) {
            Value::Str(s) => s.as_bytes(),
            Value::Bytes(b) => b,
            Value::Strs(_) => return None,
            // Absent, or not text: no member holds.
            _ => &[],
        };
        bits.fill(0);
        let searched = fam.hits(value, |m| {
            if let Some(w) = bits.get_mut(m as usize / 64) {
                *w |= 1 << (m % 64);
            }
        });
        if !searched {
            return None;
        }
        slot.0 = generation;
    }
    let word = bits.get(position as usize / 64)?;
    Some(word & (1 << (position % 64)) != 0)
}

#[inline]
fn evt_type<E: Event + ?Sized>(program: &Program, i: u32, event: &E) -> bool {
    program
        .evtsets
        .get(i as usize)
        .is_some_and(|(set, _)| set.contains(event.event_code()))
}

/// Runs the condition starting at `entry` on `event`. Allocates nothing
/// (transformers reuse the state's buffers). Call [`State::next_event`]
/// before the first condition of each event.
#[inline]
pub fn run<E: Event + ?Sized>(program: &Program, entry: u32, event: &E, state: &mut State) -> bool {
    let code = &program.code;
    let mut pc = entry as usize;
    let mut acc = false;
    while let Some(&instr) = code.get(pc) {
        pc += 1;
        match instr {
            Instr::CheckJf(i, to) => {
                acc = check(program, i, event, state);
                if !acc {
                    pc = to as usize;
                }
            }
            Instr::NotCheckJf(i, to) => {
                acc = !check(program, i, event, state);
                if !acc {
                    pc = to as usize;
                }
            }
            Instr::CheckJt(i, to) => {
                acc = check(program, i, event, state);
                if acc {
                    pc = to as usize;
                }
            }
            Instr::NotCheckJt(i, to) => {
                acc = !check(program, i, event, state);
                if acc {
                    pc = to as usize;
                }
            }
            Instr::EvtTypeJf(i, to) => {
                acc = evt_type(program, i, event);
                if !acc {
                    pc = to as usize;
                }
            }
            Instr::EvtTypeJt(i, to) => {
                acc = evt_type(program, i, event);
                if acc {
                    pc = to as usize;
                }
            }
            Instr::Check(i) => acc = check(program, i, event, state),
            Instr::NotCheck(i) => acc = !check(program, i, event, state),
            Instr::EvtType(i) => acc = evt_type(program, i, event),
            Instr::Const(b) => acc = b,
            Instr::Not => acc = !acc,
            Instr::JumpIfFalse(to) => {
                if !acc {
                    pc = to as usize;
                }
            }
            Instr::JumpIfTrue(to) => {
                if acc {
                    pc = to as usize;
                }
            }
            Instr::Ret => return acc,
        }
    }
    acc
}
