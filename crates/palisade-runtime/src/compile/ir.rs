//! The typed, resolved form of a condition ([`Ir`]) and the event types on
//! which it can hold, computed as Falco computes them.

use super::evtset::EvtSet;
use super::pred::{Check, CmpOp, Pred};

/// The typed, resolved form of a condition.
#[derive(Debug, Clone)]
pub enum Ir {
    /// A constant.
    Const(bool),
    /// Every child holds.
    And(Vec<Ir>),
    /// One child holds.
    Or(Vec<Ir>),
    /// The child does not hold.
    Not(Box<Ir>),
    /// The event's type is in the set (`evt.type = open`, `evt.type in (...)`).
    EvtType(EvtSet, Box<str>),
    /// A field check.
    Check(Box<Check>),
}

impl Ir {
    /// The sets of the `evt.type` tests left in the condition.
    pub fn evt_sets(&self) -> Vec<EvtSet> {
        let mut out = Vec::new();
        self.collect_evt_sets(&mut out);
        out
    }

    fn collect_evt_sets(&self, out: &mut Vec<EvtSet>) {
        match self {
            Ir::EvtType(set, _) => out.push(*set),
            Ir::And(children) | Ir::Or(children) => {
                for child in children {
                    child.collect_evt_sets(out);
                }
            }
            Ir::Not(child) => child.collect_evt_sets(out),
            Ir::Const(_) | Ir::Check(_) => {}
        }
    }

    /// The event types on which the condition can hold, as Falco computes
    /// them: `evt.type` checks give their set (`!=` its complement), other
    /// checks every type, `and` intersects, `or` unites, and `not` inverts
    /// by De Morgan.
    pub fn event_types(&self) -> EvtSet {
        self.event_types_under(false)
    }

    fn event_types_under(&self, negated: bool) -> EvtSet {
        match self {
            Ir::Const(_) => EvtSet::ALL,
            Ir::Check(check) => match evt_num_set(check) {
                Some(set) if negated => set.complement(),
                Some(set) => set,
                None => EvtSet::ALL,
            },
            Ir::EvtType(set, _) => {
                if negated {
                    set.complement()
                } else {
                    *set
                }
            }
            Ir::Not(child) => child.event_types_under(!negated),
            Ir::And(children) | Ir::Or(children) => {
                let intersect = matches!(self, Ir::And(_)) != negated;
                let mut acc = if intersect {
                    EvtSet::ALL
                } else {
                    EvtSet::EMPTY
                };
                for child in children {
                    let s = child.event_types_under(negated);
                    acc = if intersect {
                        acc.intersect(s)
                    } else {
                        acc.union(s)
                    };
                }
                acc
            }
        }
    }
}

/// Like libsinsp, `evt.num` checks that no event (numbered from 1) can
/// pass give no event type, and those every event passes give all.
fn evt_num_set(check: &Check) -> Option<EvtSet> {
    if &*check.source.name != "evt.num" || !check.source.is_plain() {
        return None;
    }
    let (never, always) = match &check.pred {
        Pred::Num(CmpOp::Eq, n) => (*n < 1, false),
        Pred::Num(CmpOp::Ne, n) => (false, *n < 1),
        Pred::Num(CmpOp::Lt, n) => (*n <= 1, false),
        Pred::Num(CmpOp::Le, n) => (*n < 1, false),
        Pred::Num(CmpOp::Gt, n) => (false, *n < 1),
        Pred::Num(CmpOp::Ge, n) => (false, *n <= 1),
        Pred::NumIn(ns) => (ns.iter().all(|n| *n < 1), false),
        _ => (false, false),
    };
    if never {
        Some(EvtSet::EMPTY)
    } else if always {
        Some(EvtSet::ALL)
    } else {
        None
    }
}
