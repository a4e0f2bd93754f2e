//! Cost limits: an expression that would run away is an error, not a hang.
//!
//! CEL has no unbounded loops; what can run long is comprehensions
//! (`all`, `exists`, `map`, `filter`, ...) nested over large lists: each
//! level multiplies the iterations by the size of its range. Kubernetes
//! bounds this with a cost budget per expression. Here each expression's
//! comprehension nesting depth is measured once at compile time, and before
//! an evaluation the worst case `nodes^depth` (with `nodes` the size of
//! the request's JSON, which bounds the length of any list derived from
//! it) is checked against [`COST_BUDGET`], Kubernetes' per-call limit
//! for a ValidatingAdmissionPolicy expression.

use cel_core::{Expr, SpannedExpr};

/// Kubernetes' runtime cost budget for one CEL expression
/// (`PerCallLimit`, 1,000,000 in the API server); exceeded estimates are refused.
pub const COST_BUDGET: u64 = 1_000_000;

/// The deepest nesting of comprehensions in an expression. Nested list
/// literals count like comprehension ranges: `[[1, 2], ...]`-style inputs
/// are bounded by the expression text itself.
pub fn nesting(expr: &SpannedExpr) -> u32 {
    let deepest = |items: &mut dyn Iterator<Item = &SpannedExpr>| {
        items.map(nesting).max().unwrap_or_default()
    };
    match &expr.node {
        Expr::Comprehension(c) => {
            let range = nesting(&c.iter_range);
            let body = deepest(&mut [&*c.accu_init, &*c.loop_condition, &*c.loop_step].into_iter());
            let result = nesting(&c.result);
            range.max(body.saturating_add(1)).max(result)
        }
        Expr::List(items) => deepest(&mut items.iter().map(|e| &e.expr)),
        Expr::Map(entries) => deepest(&mut entries.iter().flat_map(|e| [&e.key, &e.value])),
        Expr::Struct { fields, .. } => deepest(&mut fields.iter().map(|f| &f.value)),
        Expr::Unary { expr, .. } | Expr::Member { expr, .. } => nesting(expr),
        Expr::Binary { left, right, .. } => nesting(left).max(nesting(right)),
        Expr::Ternary {
            cond,
            then_expr,
            else_expr,
        } => nesting(cond)
            .max(nesting(then_expr))
            .max(nesting(else_expr)),
        Expr::Index { expr, index, .. } => nesting(expr).max(nesting(index)),
        Expr::Call { expr, args } => nesting(expr).max(deepest(&mut args.iter())),
        _ => 0,
    }
}

/// The worst-case number of iterations of an expression of comprehension
/// depth `depth` over an input of `nodes` JSON nodes.
pub fn estimate(depth: u32, nodes: u64) -> u64 {
    nodes.max(1).saturating_pow(depth)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth(source: &str) -> u32 {
        super::super::Environment::new(&["x"])
            .compile(source, "test", None)
            .unwrap()
            .depth()
    }

    #[test]
    fn nesting_counts_comprehensions_inside_comprehensions() {
        assert_eq!(depth("x.a == 1"), 0);
        assert_eq!(depth("x.all(a, a > 1)"), 1);
        assert_eq!(depth("x.all(a, x.exists(b, b == a))"), 2);
        assert_eq!(depth("x.map(a, a).filter(b, b > 0)"), 1);
        assert_eq!(depth("x.all(a, x.all(b, x.all(c, a + b + c > 0)))"), 3);
        assert_eq!(estimate(3, 1000), 1_000_000_000);
        assert_eq!(estimate(0, 1000), 1);
    }
}
