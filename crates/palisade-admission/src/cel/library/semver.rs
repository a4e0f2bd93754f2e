//! Kubernetes' semver library (`semver.go` of
//! `k8s.io/apiserver/pkg/cel/library`): `semver(s)`, `semver(s, normalize)`,
//! `isSemver(s)`, `isSemver(s, normalize)`, and on a version `major`,
//! `minor`, `patch`, `isGreaterThan`, `isLessThan`, `compareTo`; equality
//! and order by semantic-versioning precedence (build metadata ignored).
//! Parsing is the `semver` crate's (strict Semantic Versioning 2.0.0, as
//! the API server's `blang/semver` `Parse`); `normalize` first drops a `v`
//! prefix, fills a missing minor or patch with 0 and leading zeros.

use std::cmp::Ordering;

use cel_core::{CelType, FunctionDecl, Value};

use super::opaque::{Kind, arg, cel_type, member, wrap};
use super::{fail, method, string_arg};

/// `kubernetes.Semver`.
#[derive(Debug, Clone)]
pub struct Semver(semver::Version);

impl PartialEq for Semver {
    fn eq(&self, other: &Semver) -> bool {
        self.0.cmp_precedence(&other.0) == Ordering::Equal
    }
}

impl Kind for Semver {
    const NAME: &'static str = "kubernetes.Semver";
}

/// `text` with a `v` prefix dropped, missing parts as 0 and leading zeros
/// removed from the numbers.
fn normalize(text: &str) -> String {
    let text = text.strip_prefix('v').unwrap_or(text);
    let split = text.find(['-', '+']).unwrap_or(text.len());
    let (core, tail) = text.split_at(split);
    let mut parts: Vec<String> = core
        .split('.')
        .map(|p| {
            let trimmed = p.trim_start_matches('0');
            if trimmed.is_empty() && !p.is_empty() {
                "0".to_owned()
            } else {
                trimmed.to_owned()
            }
        })
        .collect();
    while parts.len() < 3 {
        parts.push("0".into());
    }
    format!("{}{tail}", parts.join("."))
}

fn parse(text: &str, normalized: bool) -> Result<Semver, String> {
    let text = if normalized {
        normalize(text)
    } else {
        text.to_owned()
    };
    if text
        .split(['-', '+'])
        .next()
        .is_none_or(|core| core.split('.').count() != 3)
    {
        return Err(format!("No Major.Minor.Patch elements found in {text:?}"));
    }
    semver::Version::parse(&text)
        .map(Semver)
        .map_err(|e| format!("invalid semantic version {text:?}: {e}"))
}

/// `normalize` of `semver(s, normalize)`: the second argument, when given.
fn normalized(args: &[Value]) -> bool {
    matches!(args.get(1), Some(Value::Bool(true)))
}

/// Declares `name(string)` and `name(string, bool)` with one implementation.
fn parser(name: &str, result: CelType, f: fn(&[Value]) -> Value) -> FunctionDecl {
    let overload = |params: Vec<CelType>, id: String| {
        cel_core::OverloadDecl::function(id, params, result.clone()).with_impl(f)
    };
    FunctionDecl::new(name)
        .with_overload(overload(vec![CelType::String], format!("{name}_string")))
        .with_overload(overload(
            vec![CelType::String, CelType::Bool],
            format!("{name}_string_bool"),
        ))
}

fn version_arg(args: &[Value], i: usize) -> Option<&semver::Version> {
    arg::<Semver>(args, i).map(|v| &v.0)
}

/// `v.<name>()`: one number of the version.
fn number(name: &'static str, f: fn(&semver::Version) -> u64) -> FunctionDecl {
    member::<Semver>(name, &format!("semver_{name}"), CelType::Int, move |v| {
        Value::Int(i64::try_from(f(&v.0)).unwrap_or(i64::MAX))
    })
}

/// `v.<name>(other)`: `f` on their precedence.
fn comparison(name: &'static str, result: CelType, f: fn(Ordering) -> Value) -> FunctionDecl {
    method(
        name,
        &format!("semver_{name}"),
        vec![cel_type::<Semver>(), cel_type::<Semver>()],
        result,
        move |args| match (version_arg(args, 0), version_arg(args, 1)) {
            (Some(a), Some(b)) => f(a.cmp_precedence(b)),
            _ => fail(format!("{name}: expected semvers")),
        },
    )
}

/// The functions of the library.
pub fn functions() -> Vec<FunctionDecl> {
    vec![
        parser("semver", cel_type::<Semver>(), |args| {
            match string_arg(args, 0).map(|s| parse(s, normalized(args))) {
                Some(Ok(v)) => wrap(v),
                Some(Err(e)) => fail(e),
                None => fail("semver: expected a string".into()),
            }
        }),
        parser("isSemver", CelType::Bool, |args| {
            Value::Bool(string_arg(args, 0).is_some_and(|s| parse(s, normalized(args)).is_ok()))
        }),
        number("major", |v| v.major),
        number("minor", |v| v.minor),
        number("patch", |v| v.patch),
        comparison("isGreaterThan", CelType::Bool, |o| Value::Bool(o.is_gt())),
        comparison("isLessThan", CelType::Bool, |o| Value::Bool(o.is_lt())),
        comparison("compareTo", CelType::Int, |o| Value::Int(o as i64)),
    ]
}
