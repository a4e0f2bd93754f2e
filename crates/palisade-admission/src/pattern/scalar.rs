//! Matching one value against one scalar pattern, as Kyverno does:
//! wildcards (`*`, `?`), operators (`!`, `<`, `>`, `<=`, `>=`), ranges
//! (`a-b`, `a!-b`), alternatives (`|`) and conjunctions (`&`); durations
//! and quantities compare numerically.

use serde_json::Value;

/// A comparison operator at the start of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Equal,
    NotEqual,
    More,
    Less,
    MoreEqual,
    LessEqual,
    InRange,
    NotInRange,
}

impl Op {
    fn prefix_len(self) -> usize {
        match self {
            Op::Equal | Op::InRange | Op::NotInRange => 0,
            Op::NotEqual | Op::More | Op::Less => 1,
            Op::MoreEqual | Op::LessEqual => 2,
        }
    }
}

/// `\d+(\.\d+)?[^-]*` followed by `sep` and the same again, whole string.
fn is_range(pattern: &str, sep: &str) -> bool {
    fn endpoint(s: &str) -> bool {
        let digits = s.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return false;
        }
        !s.contains('-')
    }
    match pattern.split_once(sep) {
        Some((a, b)) => endpoint(a) && endpoint(b),
        None => false,
    }
}

fn operator(pattern: &str) -> Op {
    if pattern.len() < 2 {
        return Op::Equal;
    }
    if pattern.starts_with(">=") {
        Op::MoreEqual
    } else if pattern.starts_with("<=") {
        Op::LessEqual
    } else if pattern.starts_with('>') {
        Op::More
    } else if pattern.starts_with('<') {
        Op::Less
    } else if pattern.starts_with('!') {
        Op::NotEqual
    } else if is_range(pattern, "!-") {
        Op::NotInRange
    } else if is_range(pattern, "-") {
        Op::InRange
    } else {
        Op::Equal
    }
}

/// `true` when `value` matches the scalar (or map) `pattern`.
pub(crate) fn matches(value: &Value, pattern: &Value) -> bool {
    match pattern {
        Value::Bool(b) => value.as_bool() == Some(*b),
        Value::Number(n) => match n.as_f64() {
            Some(p) => number_matches(value, p),
            None => false,
        },
        Value::Null => match value {
            Value::Null => true,
            Value::Bool(b) => !b,
            Value::Number(n) => n.as_f64() == Some(0.0),
            Value::String(s) => s.is_empty(),
            Value::Array(_) | Value::Object(_) => false,
        },
        Value::Object(_) => value.is_object(),
        Value::Array(_) => false,
        Value::String(p) => string_patterns(value, p),
    }
}

fn number_matches(value: &Value, pattern: f64) -> bool {
    match value {
        Value::Number(n) => n.as_f64() == Some(pattern),
        Value::String(s) => {
            if pattern.fract() == 0.0 {
                s.parse::<i64>().is_ok_and(|v| v as f64 == pattern)
                    || s.parse::<f64>().is_ok_and(|v| v == pattern)
            } else {
                s.parse::<f64>().is_ok_and(|v| v == pattern)
            }
        }
        _ => false,
    }
}

fn string_patterns(value: &Value, pattern: &str) -> bool {
    if value.as_str() == Some(pattern) {
        return true;
    }
    pattern.split('|').any(|alternative| {
        alternative
            .trim_matches(' ')
            .split('&')
            .all(|condition| string_pattern(value, condition.trim_matches(' ')))
    })
}

fn string_pattern(value: &Value, pattern: &str) -> bool {
    match operator(pattern) {
        Op::InRange => match pattern.split_once('-') {
            Some((low, high)) => {
                string_pattern(value, &format!(">= {low}"))
                    && string_pattern(value, &format!("<= {high}"))
            }
            None => false,
        },
        Op::NotInRange => match pattern.split_once("!-") {
            Some((low, high)) => {
                string_pattern(value, &format!("< {low}"))
                    || string_pattern(value, &format!("> {high}"))
            }
            None => false,
        },
        op => {
            let rest = pattern.get(op.prefix_len()..).unwrap_or("").trim();
            compare_parsed(value, rest, op, parse_duration)
                || compare_parsed(value, rest, op, parse_quantity)
                || compare_string(value, rest, op)
        }
    }
}

fn compare(ordering: std::cmp::Ordering, op: Op) -> bool {
    use std::cmp::Ordering::{Equal, Greater, Less};
    match op {
        Op::Equal => ordering == Equal,
        Op::NotEqual => ordering != Equal,
        Op::More => ordering == Greater,
        Op::Less => ordering == Less,
        Op::MoreEqual => ordering != Less,
        Op::LessEqual => ordering != Greater,
        Op::InRange | Op::NotInRange => false,
    }
}

/// The value as the text Kyverno compares numerically (`null` is `0`).
fn number_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => Some("0".to_owned()),
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Some(i.to_string()),
            None => n.as_f64().map(|f| format!("{f:.6}")),
        },
        _ => None,
    }
}

/// Compares `value` with `pattern` when `parse` reads both (as durations,
/// or as quantities).
fn compare_parsed(value: &Value, pattern: &str, op: Op, parse: fn(&str) -> Option<f64>) -> bool {
    let (Some(p), Some(v)) = (parse(pattern), number_text(value).and_then(|t| parse(&t))) else {
        return false;
    };
    v.partial_cmp(&p).is_some_and(|o| compare(o, op))
}

fn compare_string(value: &Value, pattern: &str, op: Op) -> bool {
    if !matches!(op, Op::Equal | Op::NotEqual) {
        return false;
    }
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.to_string(),
            None => n.as_f64().map(go_float_e).unwrap_or_default(),
        },
        _ => return false,
    };
    let matched = wildcard_match(pattern, &text);
    if op == Op::NotEqual {
        !matched
    } else {
        matched
    }
}

/// Go's `strconv.FormatFloat(f, 'E', -1, 64)` for the values that matter
/// here (`1.5E+00`).
fn go_float_e(f: f64) -> String {
    let s = format!("{f:E}");
    match s.split_once('E') {
        Some((mantissa, exp)) => {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            format!("{mantissa}E{sign}{digits:0>2}")
        }
        None => s,
    }
}

/// Shell-style wildcard match: `*` any run of characters, `?` exactly one.
pub(crate) fn wildcard_match(pattern: &str, text: &str) -> bool {
    if !pattern.contains(['*', '?']) {
        return pattern == text;
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || Some(&c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|&c| c == '*'))
}

/// A Kubernetes resource quantity (`100m`, `1Gi`, `2e3`) as a number.
pub(crate) fn parse_quantity(text: &str) -> Option<f64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let (sign, body) = match text.as_bytes().first() {
        Some(b'-') => (-1.0, text.get(1..)?),
        Some(b'+') => (1.0, text.get(1..)?),
        _ => (1.0, text),
    };
    let number_end = body
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(body.len());
    let (number, suffix) = body.split_at(number_end);
    if number.is_empty() || number == "." || number.matches('.').count() > 1 {
        return None;
    }
    let base: f64 = number.parse().ok()?;
    let multiplier = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        s if s.starts_with(['e', 'E']) => {
            let exp: i32 = s.get(1..)?.parse().ok()?;
            10f64.powi(exp)
        }
        _ => return None,
    };
    Some(sign * base * multiplier)
}

/// A Go duration (`1h30m`, `300ms`, `0`) in seconds: the one grammar.
pub(crate) use palisade_core::duration::parse_go as parse_duration;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wildcards() {
        assert!(wildcard_match("?*", "a"));
        assert!(!wildcard_match("?*", ""));
        assert!(wildcard_match("*:latest", "nginx:latest"));
        assert!(!wildcard_match("*:latest", "nginx:1.2"));
        assert!(wildcard_match("ghcr.io/*", "ghcr.io/x/y"));
    }

    #[test]
    fn operators_and_ranges() {
        assert!(matches(&json!(150), &json!("100-200 | 500-600")));
        assert!(!matches(&json!(300), &json!("100-200 | 500-600")));
        assert!(matches(&json!(300), &json!("100!-200")));
        assert!(matches(&json!("2Gi"), &json!(">1Gi")));
        assert!(matches(&json!("500m"), &json!("<=1")));
        assert!(matches(&json!(true), &json!("true")));
        assert!(matches(&json!("prodclass"), &json!("prodclass | expclass")));
        assert!(!matches(&json!("other"), &json!("prodclass | expclass")));
        assert!(matches(&json!("abc"), &json!("!default")));
        assert!(!matches(&json!("default"), &json!("!default")));
        assert!(matches(&json!("90s"), &json!("<2m")));
        assert!(matches(&json!(8080), &json!(">1024")));
        assert!(matches(&json!(false), &json!(null)));
        assert!(!matches(&json!(null), &json!("?*")));
    }

    #[test]
    fn quantities_and_durations_parse() {
        assert_eq!(parse_quantity("100m"), Some(0.1));
        assert_eq!(parse_quantity("1Ki"), Some(1024.0));
        assert_eq!(parse_quantity("x"), None);
        assert_eq!(parse_duration("1h30m"), Some(5400.0));
        assert_eq!(parse_duration("5"), None);
    }
}
