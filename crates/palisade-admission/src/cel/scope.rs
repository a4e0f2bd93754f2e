//! A fix-up of comprehension variables before checking: the CEL crate
//! resolves an iteration variable named like a type (`type`, `int`,
//! `string`, ...) to the type instead of the variable, so
//! `types.exists(type, type == x)` (as Kyverno's Pod Security policies
//! write it) is always false. Such variables are renamed, with their uses in
//! the comprehension's scope, to names no source can spell.

use cel_core::{Expr, SpannedExpr};

/// Identifiers the crate takes as type names.
const TYPE_NAMES: [&str; 11] = [
    "type",
    "int",
    "uint",
    "double",
    "bool",
    "string",
    "bytes",
    "list",
    "map",
    "null_type",
    "dyn",
];

/// The name given to a renamed variable (`@` cannot start an identifier).
fn renamed(name: &str) -> String {
    format!("@{name}")
}

/// Renames comprehension variables that are type names, in place.
pub fn rename_type_named_variables(expr: &mut SpannedExpr) {
    for_each_child(expr, &mut rename_type_named_variables);
    if let Expr::Comprehension(c) = &mut expr.node {
        for var in [&mut c.iter_var, &mut c.iter_var2] {
            if TYPE_NAMES.contains(&var.as_str()) {
                let from = std::mem::take(var);
                *var = renamed(&from);
                // The variable is visible in the step and condition only.
                replace_ident(&mut c.loop_condition, &from, var);
                replace_ident(&mut c.loop_step, &from, var);
            }
        }
    }
}

/// Replaces the identifier `from` by `to` where it is free in `expr`.
fn replace_ident(expr: &mut SpannedExpr, from: &str, to: &str) {
    match &mut expr.node {
        Expr::Ident(name) if name == from => *name = to.to_owned(),
        // An inner comprehension binding the same name shadows it.
        Expr::Comprehension(c)
            if c.iter_var == from || c.iter_var2 == from || c.accu_var == from =>
        {
            replace_ident(&mut c.iter_range, from, to);
        }
        _ => for_each_child(expr, &mut |child| replace_ident(child, from, to)),
    }
}

/// Calls `f` on every direct child of `expr`.
pub(super) fn for_each_child(expr: &mut SpannedExpr, f: &mut dyn FnMut(&mut SpannedExpr)) {
    match &mut expr.node {
        Expr::Comprehension(c) => {
            for body in [
                &mut *c.iter_range,
                &mut *c.accu_init,
                &mut *c.loop_condition,
                &mut *c.loop_step,
                &mut *c.result,
            ] {
                f(body);
            }
        }
        Expr::List(items) => items.iter_mut().for_each(|i| f(&mut i.expr)),
        Expr::Map(entries) => entries.iter_mut().for_each(|e| {
            f(&mut e.key);
            f(&mut e.value);
        }),
        Expr::Struct { fields, .. } => fields.iter_mut().for_each(|s| f(&mut s.value)),
        Expr::Unary { expr, .. } | Expr::Member { expr, .. } => f(expr),
        Expr::Binary { left, right, .. } => {
            f(left);
            f(right);
        }
        Expr::Ternary {
            cond,
            then_expr,
            else_expr,
        } => {
            f(cond);
            f(then_expr);
            f(else_expr);
        }
        Expr::Index { expr, index, .. } => {
            f(expr);
            f(index);
        }
        Expr::Call { expr, args } => {
            f(expr);
            args.iter_mut().for_each(f);
        }
        _ => {}
    }
}
