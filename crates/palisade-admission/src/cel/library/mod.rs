//! The Kubernetes CEL library functions that the CEL crate lacks, registered
//! as declared, implemented functions (the standard library and the
//! strings, math, encoders and optional-values extensions come with the
//! crate): regular expressions (`find`, `findAll`, and `matches` with a
//! per-thread cache of compiled expressions), lists (`isSorted`, `sum`,
//! `min`, `max`, `indexOf`, `lastIndexOf`), sets (`sets.contains`,
//! `sets.equivalent`, `sets.intersects`), a lenient `orValue`, and the
//! libraries with types of their own: quantities ([`quantity`]), IPs and
//! CIDRs ([`net`]), URLs ([`url`]) and semantic versions ([`semver`]), as in
//! <https://kubernetes.io/docs/reference/using-api/cel/#cel-options-language-features-and-libraries>.
//! Each is tested against the cases of the API server's own tests
//! (`k8s.io/apiserver/pkg/cel/library/*_test.go`).

pub(crate) mod authorizer;
pub mod net;
mod opaque;
pub mod quantity;
pub mod semver;
pub mod url;

use std::cell::RefCell;
use std::collections::HashMap;

use std::sync::OnceLock;

use cel_core::{
    CelType, Env, EvalError, FunctionDecl, MapActivation, OverloadDecl, Program, Value,
};

/// How many compiled regular expressions each thread keeps.
const REGEX_CACHE: usize = 64;

thread_local! {
    static REGEXES: RefCell<HashMap<String, regex::Regex>> = RefCell::new(HashMap::new());
}

/// Runs `f` on the compiled `pattern`, compiling it once per thread.
fn with_regex<T>(pattern: &str, f: impl FnOnce(&regex::Regex) -> T) -> Result<T, String> {
    REGEXES.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(re) = cache.get(pattern) {
            return Ok(f(re));
        }
        let re = regex::RegexBuilder::new(pattern)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| format!("invalid regular expression `{pattern}`: {e}"))?;
        let out = f(&re);
        if cache.len() >= REGEX_CACHE {
            cache.clear();
        }
        cache.insert(pattern.to_owned(), re);
        Ok(out)
    })
}

fn fail(message: String) -> Value {
    Value::error(EvalError::invalid_argument(message))
}

fn string_arg(args: &[Value], i: usize) -> Option<&str> {
    match args.get(i) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    }
}

fn list_arg(args: &[Value], i: usize) -> Option<&[Value]> {
    match args.get(i) {
        Some(Value::List(l)) => Some(l),
        _ => None,
    }
}

/// Total order on comparable scalars of one kind.
fn compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::UInt(x), Value::UInt(y)) => Some(x.cmp(y)),
        (Value::Double(x), Value::Double(y)) => x.partial_cmp(y),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn method(
    name: &str,
    id: &str,
    params: Vec<CelType>,
    result: CelType,
    f: impl Fn(&[Value]) -> Value + Send + Sync + 'static,
) -> FunctionDecl {
    FunctionDecl::new(name).with_overload(OverloadDecl::method(id, params, result).with_impl(f))
}

/// A function of one `overload`, implemented by `f`.
fn declare(
    name: &str,
    overload: OverloadDecl,
    f: impl Fn(&[Value]) -> Value + Send + Sync + 'static,
) -> FunctionDecl {
    FunctionDecl::new(name).with_overload(overload.with_impl(f))
}

fn dyn_list() -> CelType {
    CelType::list(CelType::Dyn)
}

/// `string.<name>(pattern)`: `f` on the string and the regular expression,
/// compiled once per thread.
fn regex_method(
    name: &'static str,
    id: &str,
    result: CelType,
    f: fn(&regex::Regex, &str) -> Value,
) -> FunctionDecl {
    method(
        name,
        id,
        vec![CelType::String, CelType::String],
        result,
        move |args| match (string_arg(args, 0), string_arg(args, 1)) {
            (Some(s), Some(p)) => with_regex(p, |re| f(re, s)).unwrap_or_else(fail),
            _ => fail(format!("{name}: expected string arguments")),
        },
    )
}

/// `list.<name>()`: `f` on the items.
fn list_method(
    name: &'static str,
    id: &str,
    result: CelType,
    f: fn(&[Value]) -> Value,
) -> FunctionDecl {
    method(
        name,
        id,
        vec![dyn_list()],
        result,
        move |args| match list_arg(args, 0) {
            Some(items) => f(items),
            None => fail(format!("{name}: expected a list")),
        },
    )
}

/// `string(v)` of the standard library, for values that are not the
/// library's own types: once a `string` overload is implemented here, the
/// crate dispatches every `string(...)` call to this library.
fn standard_string(value: &Value) -> Value {
    match value {
        Value::String(_) => value.clone(),
        Value::Int(i) => Value::from(i.to_string().as_str()),
        Value::UInt(u) => Value::from(u.to_string().as_str()),
        Value::Bool(b) => Value::from(if *b { "true" } else { "false" }),
        _ => {
            static PROGRAM: OnceLock<Option<Program>> = OnceLock::new();
            let program = PROGRAM.get_or_init(|| {
                let env = Env::with_standard_library().with_variable("v", CelType::Dyn);
                let ast = env.compile("string(v)").ok()?;
                env.program(&ast).ok()
            });
            let Some(program) = program else {
                return fail("string: the conversion is unavailable".into());
            };
            let mut activation = MapActivation::new();
            activation.insert("v", value.clone());
            program.eval(&activation)
        }
    }
}

/// `string(ip)` and `string(cidr)`, and through [`standard_string`] every
/// other `string(...)`.
fn string_conversion() -> FunctionDecl {
    let overloads = [
        ("ip_to_string", opaque::cel_type::<net::Ip>()),
        ("cidr_to_string", opaque::cel_type::<net::Cidr>()),
    ];
    let mut decl = FunctionDecl::new("string");
    for (id, kind) in overloads {
        decl = decl.with_overload(
            OverloadDecl::function(id, vec![kind], CelType::String).with_impl(|args| {
                match (net::to_string(args), args.first()) {
                    (Some(text), _) => Value::from(text.as_str()),
                    (None, Some(value)) => standard_string(value),
                    (None, None) => fail("string: expected a value".into()),
                }
            }),
        );
    }
    decl
}

/// `sets.<name>(a, b)`: `f` on the two lists.
fn set_function(name: &'static str, f: fn(&[Value], &[Value]) -> bool) -> FunctionDecl {
    let id = format!("list_sets_{name}_list");
    declare(
        &format!("sets.{name}"),
        OverloadDecl::function(id, vec![dyn_list(), dyn_list()], CelType::Bool),
        move |args| match (list_arg(args, 0), list_arg(args, 1)) {
            (Some(a), Some(b)) => Value::Bool(f(a, b)),
            _ => fail(format!("sets.{name}: expected two lists")),
        },
    )
}

/// Every function of the library, to add to an environment.
pub fn functions() -> Vec<FunctionDecl> {
    let mut all = vec![
        set_function("contains", |a, b| b.iter().all(|x| a.contains(x))),
        set_function("equivalent", |a, b| {
            b.iter().all(|x| a.contains(x)) && a.iter().all(|x| b.contains(x))
        }),
        set_function("intersects", |a, b| b.iter().any(|x| a.contains(x))),
        string_conversion(),
        // `matches` with the per-thread cache: the crate compiles the
        // regular expression on every call.
        regex_method(
            "matches",
            "string_matches_string_cached",
            CelType::Bool,
            |re, s| Value::Bool(re.is_match(s)),
        ),
        // `x.orValue(d)` on a value that is not an optional gives the value,
        // as Kyverno's CEL evaluates it (`container.volumeMounts.orValue([])`
        // in the Kyverno policies); tried after the optional overload.
        method(
            "orValue",
            "dyn_or_value_dyn",
            vec![CelType::Dyn, CelType::Dyn],
            CelType::Dyn,
            |args| match args.first() {
                Some(Value::Optional(_)) | None => fail("orValue: expected an optional".into()),
                Some(value) => value.clone(),
            },
        ),
        regex_method("find", "string_find_string", CelType::String, |re, s| {
            Value::from(re.find(s).map(|m| m.as_str()).unwrap_or_default())
        }),
        regex_method(
            "findAll",
            "string_find_all_string",
            CelType::list(CelType::String),
            |re, s| Value::List(re.find_iter(s).map(|m| Value::from(m.as_str())).collect()),
        ),
        list_method("isSorted", "list_is_sorted", CelType::Bool, |items| {
            Value::Bool(items.windows(2).all(|w| match w {
                [a, b] => compare(a, b).is_some_and(|o| o.is_le()),
                _ => true,
            }))
        }),
        list_method("sum", "list_sum", CelType::Dyn, sum),
        list_method("min", "list_min", CelType::Dyn, |items| {
            extreme(items, std::cmp::Ordering::Less, "min")
        }),
        list_method("max", "list_max", CelType::Dyn, |items| {
            extreme(items, std::cmp::Ordering::Greater, "max")
        }),
        position_method("indexOf", "list_index_of", false),
        position_method("lastIndexOf", "list_last_index_of", true),
    ];
    all.extend(quantity::functions());
    all.extend(net::functions());
    all.extend(url::functions());
    all.extend(semver::functions());
    all.extend(authorizer::functions());
    all
}

fn sum(items: &[Value]) -> Value {
    let mut total = match items.first() {
        None | Some(Value::Int(_)) => Value::Int(0),
        Some(Value::UInt(_)) => Value::UInt(0),
        Some(Value::Double(_)) => Value::Double(0.0),
        Some(_) => return fail("sum: the list holds values that cannot be added".into()),
    };
    for item in items {
        total = match (&total, item) {
            (Value::Int(a), Value::Int(b)) => match a.checked_add(*b) {
                Some(s) => Value::Int(s),
                None => return Value::error(EvalError::overflow("sum overflows int")),
            },
            (Value::UInt(a), Value::UInt(b)) => match a.checked_add(*b) {
                Some(s) => Value::UInt(s),
                None => return Value::error(EvalError::overflow("sum overflows uint")),
            },
            (Value::Double(a), Value::Double(b)) => Value::Double(a + b),
            _ => return fail("sum: the list mixes types".into()),
        };
    }
    total
}

fn extreme(items: &[Value], keep: std::cmp::Ordering, name: &str) -> Value {
    let mut best: Option<&Value> = None;
    for item in items {
        best = match best {
            None => Some(item),
            Some(b) => match compare(item, b) {
                Some(o) if o == keep => Some(item),
                Some(_) => Some(b),
                None => return fail(format!("{name}: the list mixes types")),
            },
        };
    }
    best.cloned()
        .unwrap_or_else(|| fail(format!("{name}: the list is empty")))
}

/// `list.<name>(value)`: the first (or `last`) index of the value, -1 when
/// absent.
fn position_method(name: &'static str, id: &str, last: bool) -> FunctionDecl {
    method(
        name,
        id,
        vec![dyn_list(), CelType::Dyn],
        CelType::Int,
        move |args| {
            let (Some(items), Some(needle)) = (list_arg(args, 0), args.get(1)) else {
                return fail(format!("{name}: expected a list"));
            };
            let found = if last {
                items.iter().rposition(|v| v == needle)
            } else {
                items.iter().position(|v| v == needle)
            };
            Value::Int(found.map_or(-1, |i| i64::try_from(i).unwrap_or(i64::MAX)))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::super::expression::Environment;
    use cel_core::{MapActivation, Value};

    fn eval(source: &str) -> Value {
        let env = Environment::new(&[]);
        env.compile(source, "test", None)
            .unwrap()
            .evaluate(&MapActivation::new(), 1)
            .unwrap()
    }

    #[test]
    fn kubernetes_list_and_regex_functions_evaluate() {
        assert_eq!(eval("'abc 123'.find('[0-9]+')"), Value::from("123"));
        assert_eq!(eval("'a1b22'.findAll('[0-9]+').size()"), Value::Int(2));
        assert_eq!(eval("[1, 2, 3].isSorted()"), Value::Bool(true));
        assert_eq!(eval("[3, 1].isSorted()"), Value::Bool(false));
        assert_eq!(eval("[1, 2, 3].sum()"), Value::Int(6));
        assert_eq!(eval("[4, 1, 3].min()"), Value::Int(1));
        assert_eq!(eval("['b', 'c', 'a'].max()"), Value::from("c"));
        assert_eq!(eval("[1, 2, 1].lastIndexOf(1)"), Value::Int(2));
        assert_eq!(eval("[1, 2, 1].indexOf(5)"), Value::Int(-1));
        assert_eq!(eval("'nginx:1'.matches('^ngin.*')"), Value::Bool(true));
        assert_eq!(eval("'nginx:1'.matches('^x')"), Value::Bool(false));
        assert_eq!(
            eval("[1].orValue([])"),
            Value::List(vec![Value::Int(1)].into())
        );
        assert_eq!(eval("optional.none().orValue(2)"), Value::Int(2));
        assert_eq!(eval("optional.of(3).orValue(2)"), Value::Int(3));
        // Iteration variables named like types are variables.
        assert_eq!(eval("['a'].exists(type, type == 'a')"), Value::Bool(true));
        assert_eq!(eval("[1].map(int, int + 1) == [2]"), Value::Bool(true));
        assert_eq!(
            eval("[[1]].all(type, type.all(type, type == 1))"),
            Value::Bool(true)
        );
    }
}
