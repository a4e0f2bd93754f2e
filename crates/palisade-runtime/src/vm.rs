//! The interpreter loop: runs one condition's bytecode on one event.

use crate::compile::bytecode::{Instr, Program};
use crate::compile::pred::Scratch;
use crate::event::Event;

/// Runs the condition starting at `entry` on `event`. Allocates nothing
/// (transformers reuse `scratch`).
#[inline]
pub fn run<E: Event + ?Sized>(
    program: &Program,
    entry: u32,
    event: &E,
    scratch: &mut Scratch,
) -> bool {
    let code = &program.code;
    let mut pc = entry as usize;
    let mut acc = false;
    while let Some(&instr) = code.get(pc) {
        pc += 1;
        match instr {
            Instr::Check(i) => {
                acc = program
                    .checks
                    .get(i as usize)
                    .is_some_and(|c| c.eval(event, scratch));
            }
            Instr::EvtType(i) => {
                acc = program
                    .evtsets
                    .get(i as usize)
                    .is_some_and(|(set, _)| set.contains(event.event_code()));
            }
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
