//! Bytecode listings, for people reviewing what a rule compiled to.
//!
//! ```text
//! rule `netcat` (warning), event types: execve
//!   0000  evttype   #0  evt.type = execve
//!   0001  jf        0003
//!   0002  check     #0  proc.name = nc
//!   0003  ret
//! ```

use std::fmt::Write as _;

use crate::compile::EvtSet;
use crate::compile::bytecode::{Instr, Program};
use crate::fields::Schema;
use crate::ruleset::{Rule, RuleSet};

/// The listing of every rule of `rules`, or of the rule named `only`.
/// `None` when `only` names no rule.
pub fn listing(rules: &RuleSet, only: Option<&str>) -> Option<String> {
    let mut out = String::new();
    let mut found = false;
    for rule in rules.rules() {
        if only.is_some_and(|name| name != rule.name) {
            continue;
        }
        found = true;
        write_rule(&mut out, rules.schema(), rules.program(), rule);
    }
    (found || only.is_none()).then_some(out)
}

fn write_rule(out: &mut String, schema: &Schema, program: &Program, rule: &Rule) {
    let _ = writeln!(
        out,
        "rule `{}` ({}), event types: {}",
        rule.name,
        rule.priority.as_str(),
        event_types(schema, &rule.event_types)
    );
    let mut pc = rule.entry as usize;
    while let Some(&instr) = program.code.get(pc) {
        let _ = write!(out, "  {pc:04}  ");
        let _ = match instr {
            Instr::Check(i) => {
                let text = program.checks.get(i as usize).map_or("?", |c| &*c.text);
                writeln!(out, "check     #{i}  {text}")
            }
            Instr::NotCheck(i) => writeln!(out, "ncheck    #{i}  not {}", check_text(program, i)),
            Instr::EvtType(i) => {
                let text = program.evtsets.get(i as usize).map_or("?", |(_, t)| &**t);
                writeln!(out, "evttype   #{i}  {text}")
            }
            Instr::Const(b) => writeln!(out, "const     {b}"),
            Instr::Not => writeln!(out, "not"),
            Instr::JumpIfFalse(to) => writeln!(out, "jf        {to:04}"),
            Instr::JumpIfTrue(to) => writeln!(out, "jt        {to:04}"),
            Instr::Ret => writeln!(out, "ret"),
            Instr::CheckJf(i, to) => {
                writeln!(out, "check.jf  #{i} {to:04}  {}", check_text(program, i))
            }
            Instr::CheckJt(i, to) => {
                writeln!(out, "check.jt  #{i} {to:04}  {}", check_text(program, i))
            }
            Instr::NotCheckJf(i, to) => writeln!(
                out,
                "ncheck.jf #{i} {to:04}  not {}",
                check_text(program, i)
            ),
            Instr::NotCheckJt(i, to) => writeln!(
                out,
                "ncheck.jt #{i} {to:04}  not {}",
                check_text(program, i)
            ),
            Instr::EvtTypeJf(i, to) => {
                writeln!(out, "evttype.jf #{i} {to:04}  {}", evt_text(program, i))
            }
            Instr::EvtTypeJt(i, to) => {
                writeln!(out, "evttype.jt #{i} {to:04}  {}", evt_text(program, i))
            }
        };
        pc += 1;
        if instr == Instr::Ret {
            break;
        }
    }
}

fn check_text(program: &Program, i: u32) -> &str {
    program.checks.get(i as usize).map_or("?", |c| &*c.text)
}

fn evt_text(program: &Program, i: u32) -> &str {
    program.evtsets.get(i as usize).map_or("?", |(_, t)| &**t)
}

/// The names of the event types in `set` (`all`, or `all except ...` when
/// that is shorter).
pub fn event_types(schema: &Schema, set: &EvtSet) -> String {
    let count = schema.event_type_count();
    let codes = |inside: bool| -> Vec<&str> {
        (0..count)
            .filter_map(|c| u16::try_from(c).ok())
            .filter(|&c| set.contains(c) == inside)
            .filter_map(|c| schema.event_name(c))
            .collect()
    };
    let (inside, outside) = (codes(true), codes(false));
    if outside.is_empty() {
        "all".to_owned()
    } else if inside.is_empty() {
        "none".to_owned()
    } else if outside.len() < inside.len() {
        format!("all except {}", outside.join(" "))
    } else {
        inside.join(" ")
    }
}
