//! A rewrite for speed, after checking: field selections `a.b` become map
//! lookups `a['b']`, which the CEL crate evaluates the same way on maps and
//! optionals, without the work it does for every selection (building the
//! qualified names `a`, `a.b`, ... to try them as variable names, resolving
//! the leftmost variable once more, allocating the field name). Admission
//! expressions declare no dotted variable names, so that work never finds
//! anything. Calls (`a.startsWith(...)`, `math.greatest(...)`), `has(a.b)`
//! and optional selections `a.?b` are left as written.

use cel_core::{Expr, SpannedExpr};

use super::scope::for_each_child;

/// Rewrites the selections of `expr`, in place.
pub fn selections_as_index(expr: &mut SpannedExpr) {
    match &mut expr.node {
        // The callee of a call is a function name (with its receiver): only
        // the receiver and the arguments are expressions.
        Expr::Call { expr: callee, args } => {
            match &mut callee.node {
                Expr::Member { expr: receiver, .. } => selections_as_index(receiver),
                _ => selections_as_index(callee),
            }
            args.iter_mut().for_each(selections_as_index);
            return;
        }
        Expr::Member {
            optional: false, ..
        } => {}
        _ => {
            for_each_child(expr, &mut selections_as_index);
            return;
        }
    }
    let placeholder = Expr::Null;
    let Expr::Member {
        expr: mut receiver,
        field,
        ..
    } = std::mem::replace(&mut expr.node, placeholder)
    else {
        return;
    };
    selections_as_index(&mut receiver);
    let index = SpannedExpr::new(expr.id, Expr::String(field), expr.span.clone());
    expr.node = Expr::Index {
        expr: receiver,
        index: Box::new(index),
        optional: false,
    };
}

#[cfg(test)]
mod tests {
    use super::super::Environment;
    use cel_core::{MapActivation, Value};
    use serde_json::json;

    fn eval(source: &str) -> Result<Value, String> {
        let env = Environment::new(&["object"]);
        let mut activation = MapActivation::new();
        activation.insert(
            "object",
            super::super::value::from_json(
                &json!({"spec": {"containers": [{"name": "app"}]}, "m": {"k": 1}}),
            ),
        );
        env.compile(source, "test", None)
            .map_err(|e| e.reason)?
            .evaluate(&activation, 1)
            .map_err(|e| e.reason)
    }

    #[test]
    fn rewritten_selections_evaluate_as_written() {
        let t = Ok(Value::Bool(true));
        assert_eq!(eval("object.spec.containers[0].name == 'app'"), t);
        assert_eq!(
            eval("object.spec.containers.all(c, c.name.startsWith('a'))"),
            t
        );
        assert_eq!(
            eval("has(object.spec.containers) && !has(object.spec.volumes)"),
            t
        );
        assert_eq!(eval("object.?spec.?volumes.orValue([]).size() == 0"), t);
        assert_eq!(eval("object.?spec.containers.hasValue()"), t);
        assert_eq!(
            eval("object.?nothing.containers.hasValue()"),
            Ok(Value::Bool(false))
        );
        assert_eq!(eval("math.greatest([object.m.k, 0]) == 1"), t);
        assert_eq!(eval("object.m.k"), Ok(Value::Int(1)));
        let missing = eval("object.spec.volumes").unwrap_err();
        assert_eq!(missing, "key not found: \"volumes\"");
    }
}
