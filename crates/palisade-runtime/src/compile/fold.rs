//! Constant folding of the IR, and the removal of the `evt.type` tests the
//! ruleset's index already decides.

use super::evtset::EvtSet;
use super::ir::Ir;

impl Ir {
    /// Folds constants: `x and false` is `false`, `not not x` is `x`,
    /// nested `and`/`or` are flattened, an empty `evt.type` set is `false`.
    pub fn fold(self) -> Ir {
        match self {
            Ir::Not(child) => match child.fold() {
                Ir::Const(b) => Ir::Const(!b),
                Ir::Not(inner) => *inner,
                other => Ir::Not(Box::new(other)),
            },
            Ir::EvtType(set, _) if set.is_empty() => Ir::Const(false),
            Ir::EvtType(set, _) if set.is_all() => Ir::Const(true),
            Ir::And(children) | Ir::Or(children) if children.is_empty() => Ir::Const(true),
            Ir::And(children) => fold_logical(children, true),
            Ir::Or(children) => fold_logical(children, false),
            other => other,
        }
    }
}

/// Folds an `and` (`is_and`) or `or` node.
fn fold_logical(children: Vec<Ir>, is_and: bool) -> Ir {
    let mut out = Vec::with_capacity(children.len());
    for child in children {
        match child.fold() {
            // The neutral element disappears; the absorbing one wins.
            Ir::Const(b) if b == is_and => {}
            Ir::Const(b) => return Ir::Const(b),
            Ir::And(inner) if is_and => out.extend(inner),
            Ir::Or(inner) if !is_and => out.extend(inner),
            other => out.push(other),
        }
    }
    match out.len() {
        0 => Ir::Const(is_and),
        1 => out.pop().unwrap_or(Ir::Const(is_and)),
        _ if is_and => Ir::And(out),
        _ => Ir::Or(out),
    }
}

/// Replaces the `evt.type` tests whose outcome `indexed` decides: the
/// ruleset only runs the condition on events of those types (its index,
/// [`crate::ruleset::RuleSet::eval_rule`] and `matches_among` check the
/// type), so a test every such event passes is `true` and one none passes
/// is `false`, wherever it stands (`(open_read or open_file_failed)` has one
/// in each branch); the result is folded.
pub fn drop_indexed_tests(ir: Ir, indexed: &EvtSet) -> Ir {
    fn walk(ir: Ir, indexed: &EvtSet) -> Ir {
        match ir {
            Ir::EvtType(set, text) => {
                if indexed.intersect(set.complement()).is_empty() {
                    Ir::Const(true)
                } else if indexed.intersect(set).is_empty() {
                    Ir::Const(false)
                } else {
                    Ir::EvtType(set, text)
                }
            }
            Ir::And(children) => Ir::And(children.into_iter().map(|c| walk(c, indexed)).collect()),
            Ir::Or(children) => Ir::Or(children.into_iter().map(|c| walk(c, indexed)).collect()),
            Ir::Not(child) => Ir::Not(Box::new(walk(*child, indexed))),
            other => other,
        }
    }
    walk(ir, indexed).fold()
}
