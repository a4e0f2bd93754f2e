//! Kubernetes' quantity library (`k8s.io/apiserver/pkg/cel/library/quantity.go`):
//! `quantity(s)`, `isQuantity(s)` and on a quantity `isInteger`,
//! `asInteger`, `asApproximateFloat`, `sign`, `add`, `sub`, `mul`,
//! `isGreaterThan`, `isLessThan`, `compareTo`; equality by value
//! (`quantity('200M') == quantity('0.2G')`).
//!
//! A quantity is held exactly as `mantissa * 10^exponent` (i128 mantissa,
//! trailing zeros folded into the exponent), which holds every value the
//! API server's `resource.Quantity` parses from the suffix forms
//! (`Ki`..`Ei`, `n`..`E`, `e<N>`) up to 38 significant digits; larger
//! mantissas are refused with an error rather than rounded.

use std::cmp::Ordering;

use cel_core::{CelType, EvalError, FunctionDecl, Value};

use super::opaque::{Kind, arg, cel_type, constructor, member, predicate, wrap};
use super::{fail, method};

/// The API server's pattern for a quantity, quoted in its error message.
const PATTERN: &str = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$";

/// The largest exponent kept: beyond it no `int` or `double` is reachable.
const MAX_EXPONENT: i32 = 400;

/// An exact decimal quantity, normalized so that equal values are equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity {
    mantissa: i128,
    exponent: i32,
}

impl Kind for Quantity {
    const NAME: &'static str = "kubernetes.Quantity";
}

impl Quantity {
    fn new(mut mantissa: i128, mut exponent: i32) -> Result<Quantity, String> {
        if mantissa == 0 {
            return Ok(Quantity {
                mantissa: 0,
                exponent: 0,
            });
        }
        while mantissa % 10 == 0 {
            mantissa /= 10;
            exponent += 1;
        }
        if exponent.abs() > MAX_EXPONENT {
            return Err("quantity is out of range".into());
        }
        Ok(Quantity { mantissa, exponent })
    }

    /// Parses `text` as `resource.ParseQuantity` does.
    pub fn parse(text: &str) -> Result<Quantity, String> {
        let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
        let number_len = unsigned
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'.')
            .count();
        let (numeric, suffix) = unsigned
            .split_at_checked(number_len)
            .unwrap_or((unsigned, ""));
        let suffix_ok = {
            let letters = suffix
                .bytes()
                .take_while(|b| b"eEinumkKMGTP".contains(b))
                .count();
            let rest = suffix.get(letters..).unwrap_or_default();
            let rest = rest.strip_prefix(['+', '-']).unwrap_or(rest);
            rest.bytes().all(|b| b.is_ascii_digit())
        };
        if numeric.is_empty() || !suffix_ok {
            return Err(format!(
                "quantities must match the regular expression '{PATTERN}'"
            ));
        }
        let (whole, fraction) = numeric.split_once('.').unwrap_or((numeric, ""));
        if fraction.contains('.') || (whole.is_empty() && fraction.is_empty()) {
            return Err("unable to parse quantity's numeric part".into());
        }
        let digits = format!("{whole}{fraction}");
        let digits = digits.trim_start_matches('0');
        if digits.len() > 38 {
            return Err("quantity has more than 38 significant digits".into());
        }
        let mut mantissa: i128 = if digits.is_empty() {
            0
        } else {
            digits
                .parse()
                .map_err(|_| "unable to parse quantity's numeric part".to_owned())?
        };
        if text.starts_with('-') {
            mantissa = -mantissa;
        }
        let scale = i32::try_from(fraction.len()).unwrap_or(i32::MAX);
        let (binary, decimal) = suffix_value(suffix)?;
        let exponent = decimal.saturating_sub(scale);
        let mantissa = mantissa
            .checked_mul(1i128 << binary)
            .ok_or_else(|| "quantity is out of range".to_owned())?;
        Quantity::new(mantissa, exponent)
    }

    /// The value as an `int`, when it is a whole number that fits.
    fn as_integer(self) -> Option<i64> {
        if self.exponent < 0 {
            return None;
        }
        let scale = 10i128.checked_pow(u32::try_from(self.exponent).ok()?)?;
        i64::try_from(self.mantissa.checked_mul(scale)?).ok()
    }

    fn as_float(self) -> f64 {
        // Exact enough: i128 -> f64 rounds once, the power once more.
        #[allow(clippy::cast_precision_loss)]
        let m = self.mantissa as f64;
        m * 10f64.powi(self.exponent)
    }

    /// Both mantissas at the smaller exponent, when they fit.
    fn aligned(self, other: Quantity) -> Option<(i128, i128, i32)> {
        let exponent = self.exponent.min(other.exponent);
        let scale = |q: Quantity| {
            10i128
                .checked_pow(u32::try_from(q.exponent - exponent).ok()?)
                .and_then(|s| q.mantissa.checked_mul(s))
        };
        Some((scale(self)?, scale(other)?, exponent))
    }

    fn add(self, other: Quantity) -> Result<Quantity, String> {
        let (a, b, exponent) = self
            .aligned(other)
            .ok_or_else(|| "quantity arithmetic overflows".to_owned())?;
        let sum = a
            .checked_add(b)
            .ok_or_else(|| "quantity arithmetic overflows".to_owned())?;
        Quantity::new(sum, exponent)
    }

    fn negate(self) -> Quantity {
        Quantity {
            mantissa: -self.mantissa,
            exponent: self.exponent,
        }
    }
}

impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Quantity) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Quantity {
    fn cmp(&self, other: &Quantity) -> Ordering {
        let sign = |q: &Quantity| q.mantissa.signum();
        match sign(self).cmp(&sign(other)) {
            Ordering::Equal if sign(self) != 0 => {}
            unequal => return unequal,
        }
        match self.aligned(*other) {
            Some((a, b, _)) => a.cmp(&b),
            // One side does not fit when scaled to the other's exponent:
            // it has the larger magnitude.
            None => {
                let larger_magnitude = if self.exponent > other.exponent {
                    Ordering::Greater
                } else {
                    Ordering::Less
                };
                if sign(self) > 0 {
                    larger_magnitude
                } else {
                    larger_magnitude.reverse()
                }
            }
        }
    }
}

/// The power of two and of ten a suffix multiplies by.
fn suffix_value(suffix: &str) -> Result<(u32, i32), String> {
    const BINARY: [&str; 6] = ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
    const DECIMAL: [&str; 9] = ["n", "u", "m", "", "k", "M", "G", "T", "P"];
    if let Some(i) = BINARY.iter().position(|s| *s == suffix) {
        return Ok((10 * (u32::try_from(i).unwrap_or_default() + 1), 0));
    }
    if let Some(i) = DECIMAL.iter().position(|s| *s == suffix) {
        return Ok((0, 3 * (i32::try_from(i).unwrap_or_default() - 3)));
    }
    if suffix == "E" {
        return Ok((0, 18));
    }
    suffix
        .strip_prefix(['e', 'E'])
        .and_then(|e| e.parse::<i32>().ok())
        .filter(|e| e.abs() <= MAX_EXPONENT)
        .map(|exponent| (0, exponent))
        .ok_or_else(|| "unable to parse quantity's suffix".to_owned())
}

fn quantity_arg(args: &[Value], i: usize) -> Option<Quantity> {
    arg::<Quantity>(args, i).copied()
}

/// The quantity of a `quantity` or `int` operand.
fn operand(args: &[Value], i: usize) -> Option<Quantity> {
    match args.get(i) {
        Some(Value::Int(n)) => Quantity::new(i128::from(*n), 0).ok(),
        _ => quantity_arg(args, i),
    }
}

fn result(q: Result<Quantity, String>) -> Value {
    q.map_or_else(fail, wrap)
}

/// `q.<name>()`: `f` on the quantity.
fn unary(name: &'static str, result: CelType, f: fn(Quantity) -> Value) -> FunctionDecl {
    member::<Quantity>(name, &format!("quantity_{name}"), result, move |q| f(*q))
}

/// `q.<name>(other)` with `other` a quantity (and an `int` with `int_too`).
fn binary(
    name: &'static str,
    int_too: bool,
    result: CelType,
    f: fn(Quantity, Quantity) -> Value,
) -> FunctionDecl {
    let overload = |id: String, other: CelType| {
        cel_core::OverloadDecl::method(id, vec![cel_type::<Quantity>(), other], result.clone())
            .with_impl(
                move |args| match (quantity_arg(args, 0), operand(args, 1)) {
                    (Some(a), Some(b)) => f(a, b),
                    _ => fail(format!("{name}: expected quantities")),
                },
            )
    };
    let mut decl = FunctionDecl::new(name).with_overload(overload(
        format!("quantity_{name}_quantity"),
        cel_type::<Quantity>(),
    ));
    if int_too {
        decl = decl.with_overload(overload(format!("quantity_{name}_int"), CelType::Int));
    }
    decl
}

/// The functions of the library.
pub fn functions() -> Vec<FunctionDecl> {
    vec![
        constructor("quantity", "string_to_quantity", Quantity::parse),
        predicate("isQuantity", "is_quantity_string", Quantity::parse),
        unary("isInteger", CelType::Bool, |q| {
            Value::Bool(q.as_integer().is_some())
        }),
        unary("asInteger", CelType::Int, |q| match q.as_integer() {
            Some(i) => Value::Int(i),
            None => fail("cannot convert value to integer".into()),
        }),
        unary("asApproximateFloat", CelType::Double, |q| {
            Value::Double(q.as_float())
        }),
        unary("sign", CelType::Int, |q| {
            Value::Int(i64::try_from(q.mantissa.signum()).unwrap_or_default())
        }),
        binary("add", true, cel_type::<Quantity>(), |a, b| result(a.add(b))),
        binary("sub", true, cel_type::<Quantity>(), |a, b| {
            result(a.add(b.negate()))
        }),
        binary("isGreaterThan", false, CelType::Bool, |a, b| {
            Value::Bool(a > b)
        }),
        binary("isLessThan", false, CelType::Bool, |a, b| {
            Value::Bool(a < b)
        }),
        binary("compareTo", false, CelType::Int, |a, b| {
            Value::Int(match a.cmp(&b) {
                Ordering::Less => -1,
                Ordering::Equal => 0,
                Ordering::Greater => 1,
            })
        }),
        method(
            "mul",
            "quantity_mul_int",
            vec![cel_type::<Quantity>(), CelType::Int],
            cel_type::<Quantity>(),
            |args| match (quantity_arg(args, 0), args.get(1)) {
                (Some(q), Some(Value::Int(n))) => match q.mantissa.checked_mul(i128::from(*n)) {
                    Some(m) => result(Quantity::new(m, q.exponent)),
                    None => Value::error(EvalError::overflow("quantity arithmetic overflows")),
                },
                _ => fail("mul: expected a quantity and an int".into()),
            },
        ),
    ]
}
