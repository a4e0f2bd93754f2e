//! The field schema and compiler as the rules loader sees them
//! ([`ConditionChecker`]): unknown fields, operator/type mismatches and
//! bad values are reported per rule, with their position.

use crate::ast::{Expr, Operand, Pos, Rhs, Transformer, UnaryCheck};
use crate::fields::{ResolveError, Schema};
use crate::loader::{ConditionChecker, Finding};

use super::{CompileError, lower, lower_indexed};

impl ConditionChecker for Schema {
    fn has_source(&self, source: &str) -> bool {
        Schema::has_source(self, source)
    }

    fn is_valid_field(&self, source: &str, field: &str) -> bool {
        if !Schema::has_source(self, source) {
            return false;
        }
        // A field (or transformer over fields) is valid when `FIELD exists`
        // compiles.
        let Ok(Expr::Unary(UnaryCheck { left, .. })) =
            crate::parser::parse(&format!("{field} exists"))
        else {
            return false;
        };
        let check = Expr::Unary(UnaryCheck {
            left: Operand::clone(&left),
            op: crate::ast::Operator::Exists,
            pos: Pos::default(),
        });
        lower(&check, self).is_ok()
    }

    fn check(&self, _source: &str, condition: &Expr) -> Result<Vec<Finding>, Finding> {
        match lower(condition, self) {
            Ok(_) => {
                let mut warnings = Vec::new();
                value_warnings(self, condition, &mut warnings);
                Ok(warnings)
            }
            Err(e) => Err(Finding {
                unknown_field: matches!(&e, CompileError::Field(f) if matches!(f.source, ResolveError::Unknown { .. })),
                pos: Some(e.pos()),
                message: e.to_string(),
            }),
        }
    }

    fn event_type_count(&self, _source: &str, condition: &Expr) -> Option<usize> {
        let (_, set) = lower_indexed(condition, self).ok()?;
        Some(
            (1..self.event_type_count())
                .filter_map(|c| u16::try_from(c).ok())
                .filter(|&c| set.contains(c))
                .count(),
        )
    }
}

/// libsinsp's compiler warnings about values: a value that names a field
/// (`proc.name = proc.pname`, probably meant `val(proc.pname)`) or looks
/// like a transformer call.
fn value_warnings(schema: &Schema, expr: &Expr, out: &mut Vec<Finding>) {
    match expr {
        Expr::And { children, .. } | Expr::Or { children, .. } => {
            for c in children {
                value_warnings(schema, c, out);
            }
        }
        Expr::Not { child, .. } => value_warnings(schema, child, out),
        Expr::Binary(check) => {
            let values: Vec<(&str, Pos)> = match &check.right {
                Rhs::Value(v) => vec![(v.text.as_str(), v.pos)],
                Rhs::List(l) => l.values.iter().map(|v| (v.as_str(), l.pos)).collect(),
                Rhs::Operand(_) => Vec::new(),
            };
            for (value, pos) in values {
                let compact: String = value.chars().filter(|c| !c.is_whitespace()).collect();
                if names_field(schema, &compact) {
                    out.push(Finding {
                        message: format!(
                            "'{value}' may be a valid field misused as a const string value"
                        ),
                        pos: Some(pos),
                        unknown_field: false,
                    });
                }
                let transformer_like = Transformer::FIELD_TRANSFORMERS
                    .iter()
                    .map(|t| t.as_str())
                    .chain(["val"])
                    .any(|t| {
                        compact.len() >= t.len() + 2
                            && compact.starts_with(t)
                            && compact
                                .get(t.len()..)
                                .is_some_and(|rest| rest.starts_with('('))
                            && compact.ends_with(')')
                    });
                if transformer_like {
                    out.push(Finding {
                        message: format!("'{value}' may be a valid field transformer misused as a const string value"),
                        pos: Some(pos),
                        unknown_field: false,
                    });
                }
            }
        }
        Expr::Macro { .. } | Expr::Unary(_) => {}
    }
}

/// `true` when `text` is a field name, with an optional `[arg]`.
fn names_field(schema: &Schema, text: &str) -> bool {
    let (name, arg) = match text.find('[') {
        Some(open) if text.ends_with(']') => (
            text.get(..open).unwrap_or(""),
            text.get(open + 1..text.len() - 1),
        ),
        Some(_) => return false,
        None => (text, None),
    };
    name.contains('.') && schema.knows(name, arg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_unknown_fields_and_types() {
        let schema = Schema::falco();
        assert!(schema.is_valid_field("syscall", "proc.aname[2]"));
        assert!(schema.is_valid_field("syscall", "tolower(proc.name)"));
        assert!(!schema.is_valid_field("syscall", "proc.nmae"));
        assert!(!schema.is_valid_field("k8s_audit", "proc.name"));
        let bad = crate::parser::parse("proc.nme = cat").unwrap();
        let finding = ConditionChecker::check(&schema, "syscall", &bad).unwrap_err();
        assert!(finding.unknown_field);
        assert!(
            finding.message.contains("did you mean `proc.name`"),
            "{}",
            finding.message
        );
        let mismatch = crate::parser::parse("fd.num contains 3").unwrap();
        let finding = ConditionChecker::check(&schema, "syscall", &mismatch).unwrap_err();
        assert!(!finding.unknown_field);
        let open = crate::parser::parse("evt.type in (open, openat)").unwrap();
        assert_eq!(
            ConditionChecker::event_type_count(&schema, "syscall", &open),
            Some(2)
        );
        let never = crate::parser::parse("evt.type = open and not evt.num = 0").unwrap();
        assert_eq!(
            ConditionChecker::event_type_count(&schema, "syscall", &never),
            Some(1)
        );
        let never = crate::parser::parse("evt.num = 0").unwrap();
        assert_eq!(
            ConditionChecker::event_type_count(&schema, "syscall", &never),
            Some(0)
        );
    }

    #[test]
    fn warns_about_values_that_look_like_fields() {
        let schema = Schema::falco();
        let cond = crate::parser::parse(
            "proc.name = proc.pname or proc.name in (\"toupper( proc.pname)\", bash)",
        )
        .unwrap();
        let warnings = ConditionChecker::check(&schema, "syscall", &cond).unwrap();
        let messages: Vec<&str> = warnings.iter().map(|w| w.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "'proc.pname' may be a valid field misused as a const string value",
                "'toupper( proc.pname)' may be a valid field transformer misused as a const string value"
            ]
        );
        let fine = crate::parser::parse("container.image.repository = k8s.gcr.io/pause").unwrap();
        assert!(
            ConditionChecker::check(&schema, "syscall", &fine)
                .unwrap()
                .is_empty()
        );
    }
}
