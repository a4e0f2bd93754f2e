//! Values of the Kubernetes library's own types (`Quantity`, `net.IP`,
//! `net.CIDR`, `URL`, `Semver`) inside CEL values: the crate's extension
//! point for application types is a message value with a type name, which
//! is what [`Opaque`] is; the declarations name the type as an abstract
//! type of the same name, so the checker refuses `isIP(cidr(...))` at load.

use std::any::Any;
use std::fmt::Debug;

use cel_core::{CelType, FunctionDecl, MessageValue, OverloadDecl, Value};

use super::{declare, fail, method, string_arg};

/// A Kubernetes library type: its CEL name, and equality as the library
/// defines it (by value: `quantity('1k') == quantity('1000')`).
pub(super) trait Kind: Debug + Clone + PartialEq + Send + Sync + 'static {
    /// The CEL type name (`kubernetes.Quantity`, `net.IP`, ...).
    const NAME: &'static str;
}

/// A value of a [`Kind`] as a CEL message value.
#[derive(Debug, Clone, PartialEq)]
struct Opaque<T>(T);

impl<T: Kind> MessageValue for Opaque<T> {
    fn type_name(&self) -> &str {
        T::NAME
    }

    fn eq_message(&self, other: &dyn MessageValue) -> bool {
        other
            .as_any()
            .downcast_ref::<Opaque<T>>()
            .is_some_and(|o| o == self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn clone_boxed(&self) -> Box<dyn MessageValue> {
        Box::new(self.clone())
    }
}

/// The CEL value holding `value`.
pub(super) fn wrap<T: Kind>(value: T) -> Value {
    Value::Message(Box::new(Opaque(value)))
}

/// Argument `i` of a call, when it is a `T`.
pub(super) fn arg<T: Kind>(args: &[Value], i: usize) -> Option<&T> {
    match args.get(i) {
        Some(Value::Message(m)) => m.as_any().downcast_ref::<Opaque<T>>().map(|o| &o.0),
        _ => None,
    }
}

/// The declared type of a `T`.
pub(super) fn cel_type<T: Kind>() -> CelType {
    CelType::abstract_type(T::NAME, &[])
}

/// `name(string)`: `to_value` of what `parse` reads from the string.
fn parsing<T: Kind>(
    name: &'static str,
    id: &str,
    result: CelType,
    parse: fn(&str) -> Result<T, String>,
    to_value: fn(Result<T, String>) -> Value,
) -> FunctionDecl {
    let overload = OverloadDecl::function(id, vec![CelType::String], result);
    declare(name, overload, move |args| match string_arg(args, 0) {
        Some(text) => to_value(parse(text)),
        None => fail(format!("{name}: expected a string")),
    })
}

/// `name(string)`: the `T` that `parse` reads from the string, or its error.
pub(super) fn constructor<T: Kind>(
    name: &'static str,
    id: &str,
    parse: fn(&str) -> Result<T, String>,
) -> FunctionDecl {
    parsing(name, id, cel_type::<T>(), parse, |r| {
        r.map_or_else(fail, wrap)
    })
}

/// `name(string)`: whether `parse` reads a `T` from the string.
pub(super) fn predicate<T: Kind>(
    name: &'static str,
    id: &str,
    parse: fn(&str) -> Result<T, String>,
) -> FunctionDecl {
    parsing(name, id, CelType::Bool, parse, |r| Value::Bool(r.is_ok()))
}

/// `value.name()` on a `T`: `f` of it.
pub(super) fn member<T: Kind>(
    name: &'static str,
    id: &str,
    result: CelType,
    f: impl Fn(&T) -> Value + Send + Sync + 'static,
) -> FunctionDecl {
    method(
        name,
        id,
        vec![cel_type::<T>()],
        result,
        move |args| match arg::<T>(args, 0) {
            Some(value) => f(value),
            None => fail(format!("{name}: expected a {}", T::NAME)),
        },
    )
}
