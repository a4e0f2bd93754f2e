//! A reference evaluator: walks the condition AST directly on one event,
//! with the simplest possible implementation of each operator (no
//! preparation, no event codes, no bytecode). Test-only.

use std::net::IpAddr;

use palisade_runtime::ast::{Expr, Modifier, Operand, Operator, Rhs, TransformArg, Transformer};
use palisade_runtime::event::{Event, FlatEvent, Value};
use palisade_runtime::fields::{FieldType, Schema};

/// A value read for a check, owned.
#[derive(Debug, Clone)]
enum V {
    S(Vec<u8>),
    N(i128),
    B(bool),
    Ip(IpAddr),
    List(Vec<Vec<u8>>),
    /// A list value of a transformer (`getopt` without selector): `in`
    /// means every item is in the set, `intersects` one item is.
    Set(Vec<Vec<u8>>),
}

/// Evaluates `expr` on `event`.
pub fn eval(expr: &Expr, event: &FlatEvent, schema: &Schema) -> bool {
    match expr {
        Expr::And { children, .. } => children.iter().all(|c| eval(c, event, schema)),
        Expr::Or { children, .. } => children.iter().any(|c| eval(c, event, schema)),
        Expr::Not { child, .. } => !eval(child, event, schema),
        Expr::Macro { name, .. } => panic!("unexpanded macro {name}"),
        Expr::Unary(check) => match read(&check.left, event, schema) {
            None => false,
            Some((V::List(items), _)) => !items.is_empty(),
            Some((V::Set(_), _)) => true,
            Some(_) => true,
        },
        Expr::Binary(check) => {
            let Some((value, ty)) = read(&check.left, event, schema) else {
                return false;
            };
            let values: Vec<String> = match &check.right {
                Rhs::Value(v) => vec![v.text.clone()],
                Rhs::List(l) => l.values.clone(),
                Rhs::Operand(Operand::Transform(t)) if t.kind == Transformer::Val => {
                    let Some(TransformArg::Operand(o)) = t.args.first() else {
                        panic!("val")
                    };
                    let Some((other, _)) = read(o, event, schema) else {
                        return false;
                    };
                    return any_elem(&value, |one| cmp_values(check.op, one, &other));
                }
                Rhs::Operand(o) => {
                    let Some((other, _)) = read(o, event, schema) else {
                        return false;
                    };
                    return any_elem(&value, |one| cmp_values(check.op, one, &other));
                }
            };
            let op = check.op;
            if let V::Set(items) = &value {
                let member = |i: &Vec<u8>| values.iter().any(|v| v.as_bytes() == i.as_slice());
                return match op {
                    Operator::In => items.iter().all(member),
                    Operator::Intersects => items.iter().any(member),
                    other => panic!("{other:?} on a list"),
                };
            }
            any_elem(&value, |one| match check.modifier {
                Some(Modifier::AllOf) => values.iter().all(|v| test(op, one, v, ty)),
                // Exactly one item (libsinsp's `matches_one_rhs`).
                Some(Modifier::OneOf) => {
                    values.iter().filter(|v| test(op, one, v, ty)).count() == 1
                }
                Some(Modifier::AnyOf) => values.iter().any(|v| test(op, one, v, ty)),
                None => match op {
                    Operator::In | Operator::Intersects | Operator::PMatch => {
                        values.iter().any(|v| test(op, one, v, ty))
                    }
                    _ => test(op, one, &values[0], ty),
                },
            })
        }
    }
}

fn any_elem(value: &V, f: impl Fn(&V) -> bool) -> bool {
    match value {
        V::List(items) => items.iter().any(|s| f(&V::S(s.clone()))),
        other => f(other),
    }
}

fn read(op: &Operand, event: &FlatEvent, schema: &Schema) -> Option<(V, FieldType)> {
    match op {
        Operand::Field(f) => {
            if f.name == "evt.type" {
                return event
                    .type_name()
                    .map(|s| (V::S(s.as_bytes().to_vec()), FieldType::String));
            }
            let r = schema.resolve(&f.name, f.arg.as_deref()).unwrap();
            let ty = schema.field(r.id).unwrap().type_for(r.arg.is_some());
            let v = match event.value(&r) {
                Value::Absent => return None,
                Value::Str(s) => V::S(s.as_bytes().to_vec()),
                Value::Bytes(b) => V::S(b.to_vec()),
                Value::Int(i) => V::N(i128::from(i)),
                Value::UInt(u) => V::N(i128::from(u)),
                Value::Bool(b) => V::B(b),
                Value::Ip(ip) => V::Ip(ip),
                Value::Strs(items) => {
                    V::List(items.iter().map(|s| s.as_bytes().to_vec()).collect())
                }
            };
            Some((v, ty))
        }
        Operand::Transform(t) if t.kind == Transformer::Concat => {
            let mut out = Vec::new();
            for a in &t.args {
                out.extend_from_slice(until_nul(&single(a, event, schema)?));
            }
            Some((V::S(out), FieldType::String))
        }
        Operand::Transform(t) if t.kind == Transformer::Join => {
            let sep = single(&t.args[0], event, schema)?;
            let owned = items_of(&t.args[1], event, schema)?;
            let items: Vec<&[u8]> = owned.iter().map(|i| until_nul(i)).collect();
            Some((V::S(items.join(sep.as_slice())), FieldType::String))
        }
        Operand::Transform(t) if t.kind == Transformer::Getopt => {
            let argv = items_of(&t.args[0], event, schema)?;
            let opts = single(&t.args[1], event, schema)?;
            let select = t.arg.as_ref().map(|a| a.as_bytes()[0]);
            getopt(&argv, &opts, select).map(|v| {
                let ty = if select.is_some() {
                    FieldType::String
                } else {
                    FieldType::StrList
                };
                (v, ty)
            })
        }
        Operand::Transform(t) => {
            let Some(TransformArg::Operand(inner)) = t.args.first() else {
                panic!("transform args")
            };
            let (v, _) = read(inner, event, schema)?;
            let V::S(s) = v else {
                panic!("transform of non-string")
            };
            Some(match t.kind {
                Transformer::ToLower => (V::S(s.to_ascii_lowercase()), FieldType::String),
                Transformer::ToUpper => (V::S(s.to_ascii_uppercase()), FieldType::String),
                Transformer::Len => (V::N(s.len() as i128), FieldType::UInt),
                Transformer::Basename => {
                    let text = String::from_utf8(s).unwrap();
                    let base = text.rsplit('/').next().unwrap().to_owned();
                    (V::S(base.into_bytes()), FieldType::String)
                }
                Transformer::B64 => {
                    // Bit by bit: six per character up to `=`, eight per byte.
                    const ALPHABET: &[u8] =
                        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
                    let mut bits: Vec<bool> = Vec::new();
                    for c in s.iter().take_while(|&&c| c != b'=') {
                        let v = ALPHABET.iter().position(|a| a == c)?;
                        bits.extend((0..6).rev().map(|i| v >> i & 1 == 1));
                    }
                    let bytes = bits
                        .chunks_exact(8)
                        .map(|byte| byte.iter().fold(0u8, |acc, &b| acc << 1 | u8::from(b)))
                        .collect();
                    (V::S(bytes), FieldType::String)
                }
                other => panic!("transformer {other:?}"),
            })
        }
    }
}

/// Text up to the first NUL (libsinsp reads these inputs as C strings).
fn until_nul(s: &[u8]) -> &[u8] {
    s.split(|&b| b == 0).next().unwrap_or(s)
}

/// One value of a transformer argument, as text; `None` when absent.
fn single(arg: &TransformArg, event: &FlatEvent, schema: &Schema) -> Option<Vec<u8>> {
    match arg {
        TransformArg::Literal(v) => Some(v.text.as_bytes().to_vec()),
        TransformArg::Operand(o) => match read(o, event, schema)?.0 {
            V::S(s) => Some(s),
            V::N(n) => Some(n.to_string().into_bytes()),
            other => panic!("single value expected, got {other:?}"),
        },
        TransformArg::List { .. } => panic!("list where a value is expected"),
    }
}

/// The items of a list argument; `None` when one item is absent.
fn items_of(arg: &TransformArg, event: &FlatEvent, schema: &Schema) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let parts: Vec<&TransformArg> = match arg {
        TransformArg::List { items, .. } => items.iter().collect(),
        other => vec![other],
    };
    for p in parts {
        match p {
            TransformArg::Literal(v) => out.push(v.text.as_bytes().to_vec()),
            TransformArg::Operand(o) => match read(o, event, schema)?.0 {
                V::S(s) => out.push(s),
                V::N(n) => out.push(n.to_string().into_bytes()),
                V::Set(items) | V::List(items) => out.extend(items),
                other => panic!("list item {other:?}"),
            },
            TransformArg::List { .. } => panic!("nested list"),
        }
    }
    Some(out)
}

/// getopt(3) over `argv`, written plainly: unknown options give `?`, an
/// option taking an argument gives the option then its argument (the rest
/// of the token or the next token; a missing one gives just an empty
/// item). With `select`, the last value of that option (absent if none).
fn getopt(argv: &[Vec<u8>], opts: &[u8], select: Option<u8>) -> Option<V> {
    use std::collections::HashSet;
    let spec = opts.strip_prefix(b":").unwrap_or(opts);
    let mut valid = HashSet::new();
    let mut with_arg = HashSet::new();
    for (i, &c) in spec.iter().enumerate() {
        if c == b':' {
            continue;
        }
        valid.insert(c);
        if spec.get(i + 1) == Some(&b':') {
            with_arg.insert(c);
        }
    }
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut last: Option<Vec<u8>> = None;
    let mut i = 0;
    while i < argv.len() {
        let a = &argv[i];
        if a.as_slice() == b"--" {
            break;
        }
        if a.len() > 2 && a.starts_with(b"--") {
            i += 1;
            continue;
        }
        if a.len() < 2 || a[0] != b'-' {
            break;
        }
        let mut k = 1;
        while k < a.len() {
            let c = a[k];
            if !valid.contains(&c) {
                out.push(b"?".to_vec());
                k += 1;
                continue;
            }
            if with_arg.contains(&c) {
                let value = if k + 1 < a.len() {
                    Some(a[k + 1..].to_vec())
                } else if i + 1 < argv.len() {
                    i += 1;
                    Some(argv[i].clone())
                } else {
                    None
                };
                match value {
                    Some(v) => {
                        out.push(vec![c]);
                        out.push(v.clone());
                        if select == Some(c) {
                            last = Some(v);
                        }
                    }
                    None => {
                        out.push(Vec::new());
                        if select == Some(c) {
                            last = Some(Vec::new());
                        }
                    }
                }
                break;
            }
            out.push(vec![c]);
            if select == Some(c) {
                last = Some(vec![c]);
            }
            k += 1;
        }
        i += 1;
    }
    match select {
        Some(_) => last.map(V::S),
        None => Some(V::Set(out)),
    }
}

fn cmp_values(op: Operator, a: &V, b: &V) -> bool {
    let ord = match (a, b) {
        (V::S(x), V::S(y)) => x.cmp(y),
        (V::N(x), V::N(y)) => x.cmp(y),
        _ => return false,
    };
    match op {
        Operator::Eq | Operator::EqEq => ord.is_eq(),
        Operator::Ne => ord.is_ne(),
        Operator::Lt => ord.is_lt(),
        Operator::Le => ord.is_le(),
        Operator::Gt => ord.is_gt(),
        Operator::Ge => ord.is_ge(),
        _ => panic!("val with {op:?}"),
    }
}

fn parse_net(text: &str) -> (IpAddr, u8) {
    match text.split_once('/') {
        Some((addr, len)) => (addr.parse().unwrap(), len.parse().unwrap()),
        None => {
            let addr: IpAddr = text.parse().unwrap();
            (addr, if addr.is_ipv4() { 32 } else { 128 })
        }
    }
}

fn in_net(ip: IpAddr, text: &str) -> bool {
    let (net, len) = parse_net(text);
    let bits = |a: IpAddr| -> Option<(u128, u32)> {
        match a {
            IpAddr::V4(v) => Some((u128::from(u32::from(v)), 32)),
            IpAddr::V6(v) => Some((u128::from(v), 128)),
        }
    };
    let ((a, wa), (n, wn)) = (bits(ip).unwrap(), bits(net).unwrap());
    if wa != wn {
        return false;
    }
    let shift = wn - u32::from(len);
    shift >= 128 || (a >> shift) == (n >> shift)
}

fn test(op: Operator, value: &V, lit: &str, ty: FieldType) -> bool {
    match value {
        V::N(n) => {
            let l: i128 = lit.parse().unwrap();
            match op {
                Operator::Eq | Operator::EqEq | Operator::In | Operator::Intersects => *n == l,
                Operator::Ne => *n != l,
                Operator::Lt => *n < l,
                Operator::Le => *n <= l,
                Operator::Gt => *n > l,
                Operator::Ge => *n >= l,
                _ => panic!("{op:?} on number"),
            }
        }
        V::B(b) => {
            let l = lit == "true";
            if op == Operator::Ne { *b != l } else { *b == l }
        }
        V::Ip(ip) => {
            let inside = in_net(*ip, lit);
            if op == Operator::Ne { !inside } else { inside }
        }
        V::S(s) => {
            let _ = ty;
            let l = lit.as_bytes();
            let text = String::from_utf8_lossy(s);
            match op {
                Operator::Eq | Operator::EqEq | Operator::In | Operator::Intersects => {
                    s.as_slice() == l
                }
                Operator::Ne => s.as_slice() != l,
                Operator::Lt => s.as_slice() < l,
                Operator::Le => s.as_slice() <= l,
                Operator::Gt => s.as_slice() > l,
                Operator::Ge => s.as_slice() >= l,
                Operator::Contains => text.contains(lit),
                Operator::IContains => text
                    .to_ascii_lowercase()
                    .contains(&lit.to_ascii_lowercase()),
                Operator::StartsWith => s.starts_with(l),
                Operator::EndsWith => s.ends_with(l),
                Operator::Glob => fnmatch(l, s, false),
                Operator::IGlob => fnmatch(l, s, true),
                Operator::Regex => regex::Regex::new(lit).unwrap().is_match(&text),
                Operator::PMatch => {
                    let comps = |t: &str| {
                        t.split('/')
                            .filter(|c| !c.is_empty())
                            .map(str::to_owned)
                            .collect::<Vec<_>>()
                    };
                    let (v, e) = (comps(&text), comps(lit));
                    e.len() <= v.len() && v[..e.len()] == e[..]
                }
                other => panic!("{other:?} on string"),
            }
        }
        V::List(_) | V::Set(_) => unreachable!("lists are handled by the caller"),
    }
}

/// Recursive fnmatch (flags 0), written independently of the VM's glob.
fn fnmatch(p: &[u8], t: &[u8], fold: bool) -> bool {
    let eq = |a: u8, b: u8| {
        if fold {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    match p.first() {
        None => t.is_empty(),
        Some(b'*') => (0..=t.len()).any(|i| fnmatch(&p[1..], &t[i..], fold)),
        Some(b'?') => !t.is_empty() && fnmatch(&p[1..], &t[1..], fold),
        Some(b'\\') if p.len() > 1 => {
            !t.is_empty() && eq(p[1], t[0]) && fnmatch(&p[2..], &t[1..], fold)
        }
        Some(b'[') => {
            // Find the closing bracket (a `]` first in the class is literal).
            let mut i = 1;
            let neg = matches!(p.get(1), Some(b'!' | b'^'));
            if neg {
                i += 1;
            }
            let start = i;
            if p.get(i) == Some(&b']') {
                i += 1;
            }
            while i < p.len() && p[i] != b']' {
                i += 1;
            }
            if i >= p.len() {
                return !t.is_empty() && t[0] == b'[' && fnmatch(&p[1..], &t[1..], fold);
            }
            let Some(&c) = t.first() else { return false };
            let class = &p[start..i];
            let mut hit = false;
            let mut j = 0;
            while j < class.len() {
                if j + 2 < class.len() && class[j + 1] == b'-' {
                    let (lo, hi) = (class[j], class[j + 2]);
                    hit |= (lo..=hi).contains(&c)
                        || (fold
                            && ((lo..=hi).contains(&c.to_ascii_lowercase())
                                || (lo..=hi).contains(&c.to_ascii_uppercase())));
                    j += 3;
                } else {
                    hit |= eq(class[j], c);
                    j += 1;
                }
            }
            hit != neg && fnmatch(&p[i + 1..], &t[1..], fold)
        }
        Some(&c) => !t.is_empty() && eq(c, t[0]) && fnmatch(&p[1..], &t[1..], fold),
    }
}
