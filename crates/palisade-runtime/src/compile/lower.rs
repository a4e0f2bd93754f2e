//! Lowering: a condition's AST resolved against the field schema,
//! type-checked, its values parsed and its operands prepared once, into the
//! IR.

use std::net::IpAddr;

use aho_corasick::AhoCorasickBuilder;
use ipnet::IpNet;
use memchr::memmem::Finder;

use super::error::{
    CompileError, FieldError, MacroError, OperatorError, UnsupportedError, ValueError,
};
use super::evtset::EvtSet;
use super::glob;
use super::ir::Ir;
use super::pred::{
    Check, CmpOp, Combine, MAX_COMBINE_DEPTH, Part, PathSet, Pred, Source, StrSet, Xform,
};
use crate::ast::{self, Expr, Modifier, Operand, Operator, Pos, Rhs, Transformer};
use crate::fields::{FieldType, Schema};

/// The largest regex program a condition may compile to, in bytes.
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Resolves, type-checks and folds a condition.
pub fn lower(expr: &Expr, schema: &Schema) -> Result<Ir, CompileError> {
    Ok(lower_expr(expr, schema)?.fold())
}

/// Resolves and type-checks a condition; returns the folded IR and the
/// event types it can match, computed as Falco does on the condition as
/// written (before folding).
pub fn lower_indexed(expr: &Expr, schema: &Schema) -> Result<(Ir, EvtSet), CompileError> {
    let ir = lower_expr(expr, schema)?;
    let types = ir.event_types();
    Ok((ir.fold(), types))
}

fn lower_expr(expr: &Expr, schema: &Schema) -> Result<Ir, CompileError> {
    Ok(match expr {
        Expr::And { children, .. } => Ir::And(
            children
                .iter()
                .map(|c| lower_expr(c, schema))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Or { children, .. } => Ir::Or(
            children
                .iter()
                .map(|c| lower_expr(c, schema))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Not { child, .. } => Ir::Not(Box::new(lower_expr(child, schema)?)),
        Expr::Macro { name, pos } => {
            return Err(MacroError {
                name: name.clone(),
                pos: *pos,
            }
            .into());
        }
        Expr::Unary(check) => {
            let (source, _) = lower_operand(&check.left, schema)?;
            Ir::Check(Box::new(Check {
                text: expr.as_string().into(),
                source,
                pred: Pred::Exists,
            }))
        }
        Expr::Binary(check) => lower_binary(expr, check, schema)?,
    })
}

fn lower_operand(op: &Operand, schema: &Schema) -> Result<(Source, FieldType), CompileError> {
    lower_operand_at(op, schema, 0)
}

/// The type of a value of type `ty` after `xforms` (innermost first).
fn xformed_type(
    mut ty: FieldType,
    xforms: &[Xform],
    name: &str,
    pos: Pos,
) -> Result<FieldType, CompileError> {
    for x in xforms {
        if ty == FieldType::StrList || !(ty == FieldType::String || ty == FieldType::Bytes) {
            return Err(UnsupportedError {
                what: format!("transformer `{}` on {ty} value `{name}`", x.as_str()),
                pos,
            }
            .into());
        }
        ty = if *x == Xform::Len {
            FieldType::UInt
        } else {
            FieldType::String
        };
    }
    Ok(ty)
}

/// `op` lowered; `depth` counts the multi-input transformers around it.
fn lower_operand_at(
    op: &Operand,
    schema: &Schema,
    depth: usize,
) -> Result<(Source, FieldType), CompileError> {
    let mut xforms: Vec<Xform> = Vec::new();
    let mut cur = op;
    loop {
        match cur {
            Operand::Field(f) => {
                let field = schema
                    .resolve(&f.name, f.arg.as_deref())
                    .map_err(|source| FieldError { source, pos: f.pos })?;
                let def_ty = schema
                    .field(field.id)
                    .map_or(FieldType::String, |d| d.type_for(field.arg.is_some()));
                xforms.reverse();
                let ty = xformed_type(def_ty, &xforms, &f.name, op.pos())?;
                let name = Operand::Field(f.clone()).as_string();
                return Ok((
                    Source {
                        field,
                        name: name.into(),
                        xforms: xforms.into_boxed_slice(),
                        combine: None,
                    },
                    ty,
                ));
            }
            Operand::Transform(t)
                if matches!(
                    t.kind,
                    Transformer::Join | Transformer::Concat | Transformer::Getopt
                ) =>
            {
                let (comb, comb_ty) = lower_combine(t, schema, depth + 1)?;
                xforms.reverse();
                let name = Operand::Transform(t.clone()).as_string();
                let ty = xformed_type(comb_ty, &xforms, &name, op.pos())?;
                return Ok((
                    Source {
                        field: crate::fields::FieldRef {
                            id: crate::fields::FieldId(0),
                            arg: None,
                            slot: crate::fields::FieldRef::NO_SLOT,
                        },
                        name: name.into(),
                        xforms: xforms.into_boxed_slice(),
                        combine: Some(Box::new(comb)),
                    },
                    ty,
                ));
            }
            Operand::Transform(t) => {
                let x = match t.kind {
                    Transformer::ToLower => Xform::ToLower,
                    Transformer::ToUpper => Xform::ToUpper,
                    Transformer::Basename => Xform::Basename,
                    Transformer::B64 => Xform::B64,
                    Transformer::Len => Xform::Len,
                    other => {
                        return Err(UnsupportedError {
                            what: format!("transformer `{}`", other.as_str()),
                            pos: t.pos,
                        }
                        .into());
                    }
                };
                match (t.args.as_slice(), &t.arg) {
                    ([ast::TransformArg::Operand(inner)], None) => {
                        xforms.push(x);
                        cur = inner;
                    }
                    _ => {
                        return Err(UnsupportedError {
                            what: format!("this form of `{}`", t.kind.as_str()),
                            pos: t.pos,
                        }
                        .into());
                    }
                }
            }
        }
    }
}

/// How an input of a multi-input transformer may be used.
#[derive(Clone, Copy, PartialEq, Eq)]
enum PartUse {
    /// A single string (`concat` arguments, `getopt`'s option string).
    Str,
    /// A single value read as text (`join`'s separator).
    Text,
    /// A list item: a string, a number (rendered in decimal) or a list.
    Item,
}

fn bad_transformer(t: &ast::Transform, why: &str) -> CompileError {
    UnsupportedError {
        what: format!("`{}()` {why}", t.kind.as_str()),
        pos: t.pos,
    }
    .into()
}

/// One input of a multi-input transformer.
fn lower_part(
    t: &ast::Transform,
    arg: &ast::TransformArg,
    schema: &Schema,
    depth: usize,
    usage: PartUse,
) -> Result<Part, CompileError> {
    match arg {
        ast::TransformArg::Literal(v) => Ok(Part::Lit(v.text.as_bytes().into())),
        ast::TransformArg::List { .. } => Err(bad_transformer(t, "takes a single value here")),
        ast::TransformArg::Operand(o) => {
            let (src, ty) = lower_operand_at(o, schema, depth)?;
            let ok = match usage {
                PartUse::Str => ty == FieldType::String && !src.is_list(),
                PartUse::Text => {
                    matches!(ty, FieldType::String | FieldType::Bytes) && !src.is_list()
                }
                PartUse::Item => {
                    src.is_list()
                        || matches!(ty, FieldType::String | FieldType::Bytes)
                        || ty.is_numeric()
                }
            };
            if !ok {
                let what = match usage {
                    PartUse::Str => "arguments must be single strings",
                    PartUse::Text => "separator must be a single string",
                    PartUse::Item => "list items must be strings or numbers",
                };
                return Err(bad_transformer(
                    t,
                    &format!("{what} (`{}` is {ty})", src.name),
                ));
            }
            Ok(Part::Src(Box::new(src)))
        }
    }
}

/// The list argument of `join`/`getopt`: a parenthesized list, or a
/// list-valued transformer (`getopt(...)` without selector).
fn lower_list(
    t: &ast::Transform,
    arg: &ast::TransformArg,
    schema: &Schema,
    depth: usize,
    which: &str,
) -> Result<Box<[Part]>, CompileError> {
    match arg {
        ast::TransformArg::List { items, .. } => items
            .iter()
            .map(|i| lower_part(t, i, schema, depth, PartUse::Item))
            .collect(),
        ast::TransformArg::Operand(o) => {
            let (src, _) = lower_operand_at(o, schema, depth)?;
            if !src.is_list() {
                return Err(bad_transformer(
                    t,
                    &format!("{which} argument must be a list"),
                ));
            }
            Ok(vec![Part::Src(Box::new(src))].into_boxed_slice())
        }
        ast::TransformArg::Literal(_) => Err(bad_transformer(
            t,
            &format!("{which} argument must be a list"),
        )),
    }
}

/// `join`, `concat` or `getopt` with its inputs, and the result type
/// (`StrList` for `getopt` without selector).
fn lower_combine(
    t: &ast::Transform,
    schema: &Schema,
    depth: usize,
) -> Result<(Combine, FieldType), CompileError> {
    if depth > MAX_COMBINE_DEPTH {
        return Err(UnsupportedError {
            what: format!("nesting multi-input transformers more than {MAX_COMBINE_DEPTH} deep"),
            pos: t.pos,
        }
        .into());
    }
    if t.arg.is_some() && t.kind != Transformer::Getopt {
        return Err(bad_transformer(t, "takes no field argument"));
    }
    match t.kind {
        Transformer::Join => match t.args.as_slice() {
            [sep, list] => {
                let sep = lower_part(t, sep, schema, depth, PartUse::Text)?;
                let items = lower_list(t, list, schema, depth, "second")?;
                Ok((Combine::Join { sep, items }, FieldType::String))
            }
            _ => Err(bad_transformer(
                t,
                "requires exactly 2 arguments: separator and list",
            )),
        },
        Transformer::Concat => {
            if t.args.len() < 2 {
                return Err(bad_transformer(t, "requires at least 2 arguments"));
            }
            let parts = t
                .args
                .iter()
                .map(|a| lower_part(t, a, schema, depth, PartUse::Str))
                .collect::<Result<Box<[Part]>, _>>()?;
            Ok((Combine::Concat(parts), FieldType::String))
        }
        _ => match t.args.as_slice() {
            [args, optstring] => {
                let select = match t.arg.as_deref().map(str::as_bytes) {
                    None => None,
                    Some(&[c]) => Some(c),
                    Some(_) => {
                        return Err(bad_transformer(
                            t,
                            "field argument must be a single option character",
                        ));
                    }
                };
                let args = lower_list(t, args, schema, depth, "first")?;
                let optstring = lower_part(t, optstring, schema, depth, PartUse::Str)?;
                let ty = if select.is_some() {
                    FieldType::String
                } else {
                    FieldType::StrList
                };
                Ok((
                    Combine::Getopt {
                        args,
                        optstring,
                        select,
                    },
                    ty,
                ))
            }
            _ => Err(bad_transformer(
                t,
                "requires exactly 2 arguments: args list and optstring",
            )),
        },
    }
}

/// Which operators apply to which field type, as in libsinsp.
fn operator_allowed(op: Operator, ty: FieldType) -> bool {
    use Operator as O;
    match op {
        O::Exists => true,
        O::Eq | O::EqEq | O::Ne | O::In | O::Intersects => true,
        O::Lt | O::Le | O::Gt | O::Ge => {
            matches!(ty, FieldType::String | FieldType::StrList) || ty.is_numeric()
        }
        O::Contains | O::StartsWith | O::EndsWith | O::BContains | O::BStartsWith => {
            matches!(
                ty,
                FieldType::String | FieldType::StrList | FieldType::Bytes
            )
        }
        O::IContains | O::Glob | O::IGlob | O::Regex | O::PMatch => {
            matches!(ty, FieldType::String | FieldType::StrList)
        }
    }
}

fn lower_binary(
    expr: &Expr,
    check: &ast::BinaryCheck,
    schema: &Schema,
) -> Result<Ir, CompileError> {
    let (source, ty) = lower_operand(&check.left, schema)?;
    let op = check.op;
    // A list value (`getopt(...)` without selector) takes only the set
    // operators, as libsinsp's list fields.
    let list_misuse = source.is_list()
        && (!matches!(op, Operator::In | Operator::Intersects | Operator::Exists)
            || check.modifier.is_some()
            || matches!(check.right, Rhs::Operand(_)));
    if !operator_allowed(op, ty) || list_misuse {
        return Err(OperatorError {
            op: op.as_str().to_owned(),
            field: source.name.to_string(),
            ty,
            pos: check.pos,
        }
        .into());
    }
    let field_name = source.name.to_string();
    let values: Vec<(String, Pos)> = match &check.right {
        Rhs::Value(v) => vec![(v.text.clone(), v.pos)],
        Rhs::List(l) => l.values.iter().map(|v| (v.clone(), l.pos)).collect(),
        Rhs::Operand(o) => {
            let cmp = cmp_of(op).ok_or_else(|| UnsupportedError {
                what: format!("`{}` with a field on the right-hand side", op.as_str()),
                pos: check.pos,
            })?;
            // `val(f)` is `f` itself; other transformers apply to the field.
            let inner = match o {
                Operand::Transform(t) if t.kind == Transformer::Val => match t.args.as_slice() {
                    [ast::TransformArg::Operand(inner)] => inner,
                    _ => {
                        return Err(UnsupportedError {
                            what: "this form of `val()`".into(),
                            pos: t.pos,
                        }
                        .into());
                    }
                },
                other => other,
            };
            let (right, _) = lower_operand(inner, schema)?;
            if right.is_list() {
                return Err(UnsupportedError {
                    what: "a list-valued transformer on the right-hand side".into(),
                    pos: check.pos,
                }
                .into());
            }
            let pred = Pred::Val(cmp, Box::new(right));
            return Ok(Ir::Check(Box::new(Check {
                source,
                pred,
                text: expr.as_string().into(),
            })));
        }
    };

    // `evt.type = open`, `evt.type in (...)`: a test of the event code.
    if field_name == "evt.type"
        && source.is_plain()
        && check.modifier.is_none()
        && matches!(
            op,
            Operator::Eq | Operator::EqEq | Operator::Ne | Operator::In | Operator::Intersects
        )
    {
        let mut set = EvtSet::EMPTY;
        for (name, _) in &values {
            // Unknown names match nothing, as in Falco.
            if let Some(code) = schema.event_code(name) {
                set.insert(code);
            }
        }
        let text: Box<str> = if op == Operator::Ne {
            let mut positive = expr.as_string();
            positive = positive.replacen(" != ", " = ", 1);
            positive.into()
        } else {
            expr.as_string().into()
        };
        let node = Ir::EvtType(set, text);
        return Ok(if op == Operator::Ne {
            Ir::Not(Box::new(node))
        } else {
            node
        });
    }

    let value_of = |text: &str, pos: Pos| -> Result<Pred, CompileError> {
        single_pred(op, ty, text, pos, &field_name)
    };
    let pred = match check.modifier {
        Some(m) => {
            let preds = values
                .iter()
                .map(|(v, p)| value_of(v, *p))
                .collect::<Result<Vec<_>, _>>()?;
            match m {
                Modifier::OneOf => Pred::One(preds.into_boxed_slice()),
                Modifier::AnyOf => Pred::Any(preds.into_boxed_slice()),
                Modifier::AllOf => Pred::All(preds.into_boxed_slice()),
            }
        }
        None => match op {
            Operator::In | Operator::Intersects => list_pred(ty, &values, &field_name)?,
            Operator::PMatch => {
                let items: Vec<String> = values.iter().map(|(v, _)| v.clone()).collect();
                Pred::PMatch(PathSet::new(&items), items.into_boxed_slice())
            }
            _ => match values.as_slice() {
                [(v, p)] => value_of(v, *p)?,
                _ => {
                    return Err(UnsupportedError {
                        what: format!("a list after `{}`", op.as_str()),
                        pos: check.right.pos(),
                    }
                    .into());
                }
            },
        },
    };
    // A list is `in` a set when every item is: a `getopt` list, or a
    // plugin's list field (`ka.req.pod.containers.image`) read whole.
    let listed = source.is_list()
        || (source.is_plain()
            && source.field.arg.is_none()
            && schema.field(source.field.id).is_some_and(|d| d.list));
    let pred = match pred {
        Pred::StrIn(set) if listed && op == Operator::In => Pred::EveryIn(set),
        other => other,
    };
    // `x in ()` and `x pmatch ()` never hold (but an empty list is in any set).
    if values.is_empty()
        && matches!(op, Operator::In | Operator::Intersects | Operator::PMatch)
        && !(source.is_list() && op == Operator::In)
    {
        return Ok(Ir::Const(false));
    }
    Ok(Ir::Check(Box::new(Check {
        source,
        pred,
        text: expr.as_string().into(),
    })))
}

fn cmp_of(op: Operator) -> Option<CmpOp> {
    Some(match op {
        Operator::Eq | Operator::EqEq => CmpOp::Eq,
        Operator::Ne => CmpOp::Ne,
        Operator::Lt => CmpOp::Lt,
        Operator::Le => CmpOp::Le,
        Operator::Gt => CmpOp::Gt,
        Operator::Ge => CmpOp::Ge,
        _ => return None,
    })
}

fn bad_value(value: &str, expected: &str, field: &str, pos: Pos) -> CompileError {
    ValueError {
        value: value.to_owned(),
        expected: expected.to_owned(),
        field: field.to_owned(),
        pos,
    }
    .into()
}

fn parse_num(text: &str, ty: FieldType, field: &str, pos: Pos) -> Result<i128, CompileError> {
    let t = text.trim();
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16)
            .ok()
            .map(i128::from)
            .ok_or_else(|| bad_value(text, "number", field, pos));
    }
    let parsed = match ty {
        FieldType::Int => t.parse::<i64>().ok().map(i128::from),
        _ => t.parse::<u64>().ok().map(i128::from),
    };
    parsed.ok_or_else(|| bad_value(text, "number", field, pos))
}

fn parse_net(text: &str, field: &str, pos: Pos) -> Result<IpNet, CompileError> {
    let t = text.trim();
    if let Ok(net) = t.parse::<IpNet>() {
        return Ok(net);
    }
    t.parse::<IpAddr>()
        .map(IpNet::from)
        .map_err(|_| bad_value(text, "IP address or network", field, pos))
}

fn parse_bool(text: &str, field: &str, pos: Pos) -> Result<bool, CompileError> {
    match text.trim() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(bad_value(text, "boolean (`true` or `false`)", field, pos)),
    }
}

fn hex_bytes(text: &str, field: &str, pos: Pos) -> Result<Vec<u8>, CompileError> {
    let t = text.trim().as_bytes();
    if !t.len().is_multiple_of(2) {
        return Err(bad_value(text, "hex byte string", field, pos));
    }
    t.chunks(2)
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|s| u8::from_str_radix(s, 16).ok())
                .ok_or_else(|| bad_value(text, "hex byte string", field, pos))
        })
        .collect()
}

/// The test for one value under operator `op`.
fn single_pred(
    op: Operator,
    ty: FieldType,
    text: &str,
    pos: Pos,
    field: &str,
) -> Result<Pred, CompileError> {
    use Operator as O;
    let negate = |p: Pred| Pred::Negated(Box::new(p));
    Ok(match ty {
        _ if ty.is_numeric() => {
            let n = parse_num(text, ty, field, pos)?;
            match op {
                O::In | O::Intersects => Pred::NumIn(vec![n].into_boxed_slice()),
                _ => Pred::Num(cmp_of(op).unwrap_or(CmpOp::Eq), n),
            }
        }
        FieldType::Bool => {
            let b = parse_bool(text, field, pos)?;
            if op == O::Ne {
                negate(Pred::Bool(b))
            } else {
                Pred::Bool(b)
            }
        }
        FieldType::IpAddr | FieldType::IpNet => {
            let net = parse_net(text, field, pos)?;
            let p = Pred::IpIn(vec![net].into_boxed_slice());
            if op == O::Ne { negate(p) } else { p }
        }
        _ => {
            let bytes: Box<[u8]> = text.as_bytes().into();
            match op {
                O::Eq | O::EqEq | O::In | O::Intersects => Pred::StrEq(bytes),
                O::Ne => negate(Pred::StrEq(bytes)),
                O::Lt | O::Le | O::Gt | O::Ge => {
                    Pred::StrCmp(cmp_of(op).unwrap_or(CmpOp::Eq), bytes)
                }
                O::Contains => Pred::Contains(Box::new(Finder::new(&bytes).into_owned())),
                O::BContains => Pred::Contains(Box::new(
                    Finder::new(&hex_bytes(text, field, pos)?).into_owned(),
                )),
                O::IContains => {
                    let ac = AhoCorasickBuilder::new()
                        .ascii_case_insensitive(true)
                        .build([text])
                        .map_err(|e| bad_value(text, &format!("substring ({e})"), field, pos))?;
                    Pred::IContains(ac, text.into())
                }
                O::StartsWith => Pred::StartsWith(bytes),
                O::BStartsWith => Pred::StartsWith(hex_bytes(text, field, pos)?.into_boxed_slice()),
                O::EndsWith => Pred::EndsWith(bytes),
                O::Glob => Pred::Glob(glob::Glob::new(text, false), text.into()),
                O::IGlob => Pred::Glob(glob::Glob::new(text, true), text.into()),
                O::Regex => Pred::Regex(
                    regex::RegexBuilder::new(text)
                        .size_limit(REGEX_SIZE_LIMIT)
                        .dfa_size_limit(REGEX_SIZE_LIMIT)
                        .build()
                        .map_err(|e| {
                            bad_value(text, &format!("regular expression ({e})"), field, pos)
                        })?,
                ),
                O::PMatch => Pred::PMatch(
                    PathSet::new(&[text.to_owned()]),
                    vec![text.to_owned()].into_boxed_slice(),
                ),
                O::Exists => Pred::Exists,
            }
        }
    })
}

/// The test for `in` / `intersects` with a list.
fn list_pred(ty: FieldType, values: &[(String, Pos)], field: &str) -> Result<Pred, CompileError> {
    Ok(match ty {
        _ if ty.is_numeric() => Pred::NumIn(
            values
                .iter()
                .map(|(v, p)| parse_num(v, ty, field, *p))
                .collect::<Result<Vec<_>, _>>()?
                .into_boxed_slice(),
        ),
        FieldType::Bool => {
            let bs = values
                .iter()
                .map(|(v, p)| parse_bool(v, field, *p))
                .collect::<Result<Vec<_>, _>>()?;
            Pred::Any(bs.into_iter().map(Pred::Bool).collect())
        }
        FieldType::IpAddr | FieldType::IpNet => Pred::IpIn(
            values
                .iter()
                .map(|(v, p)| parse_net(v, field, *p))
                .collect::<Result<Vec<_>, _>>()?
                .into_boxed_slice(),
        ),
        _ => {
            let items: Vec<String> = values.iter().map(|(v, _)| v.clone()).collect();
            Pred::StrIn(StrSet::new(&items))
        }
    })
}
