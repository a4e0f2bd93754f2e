//! The one duration grammar: Go's `time.ParseDuration`, as Kubernetes and
//! Kyverno write durations (`300ms`, `1.5s`, `1h30m`, `-2m`, `0`).
//!
//! [`parse_go`] reads it exactly (signed, in seconds), for policies that
//! compare durations; [`parse`] is what Palisade's own options take: the
//! same grammar, a bare number meaning seconds (`30`), and never negative.

use std::time::Duration;

/// A duration that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("`{text}` is not a duration ({reason})")]
#[diagnostic(
    code(palisade::duration),
    help("write a number with a unit `ns`, `us`, `ms`, `s`, `m` or `h`: `250ms`, `30s`, `1h30m`")
)]
pub struct DurationError {
    /// The text as given.
    pub text: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// Reads a Go duration (`1h30m`, `300ms`, `-1.5s`, `0`) as signed seconds;
/// `None` when it is not one. A bare number other than `0` is not a Go
/// duration (it has no unit).
pub fn parse_go(text: &str) -> Option<f64> {
    let (sign, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (-1.0, text.get(1..)?),
        Some(b'+') => (1.0, text.get(1..)?),
        _ => (1.0, text),
    };
    if rest == "0" {
        return Some(0.0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total = 0.0;
    while !rest.is_empty() {
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(end);
        if number.is_empty() {
            return None;
        }
        let n: f64 = number.parse().ok()?;
        let unit_end = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_end);
        let scale = match unit {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += n * scale;
        rest = next;
    }
    Some(sign * total)
}

/// Reads a duration option: a Go duration, or a bare number of seconds
/// (`30`, `1.5`); surrounding blanks are ignored; negative durations are
/// refused.
pub fn parse(text: &str) -> Result<Duration, DurationError> {
    let trimmed = text.trim();
    let error = |reason| DurationError {
        text: trimmed.to_owned(),
        reason,
    };
    let seconds = match trimmed.parse::<f64>() {
        Ok(n) if trimmed.bytes().all(|b| b.is_ascii_digit() || b == b'.') => n,
        _ => parse_go(trimmed).ok_or_else(|| error("expected a number and a unit"))?,
    };
    if seconds < 0.0 {
        return Err(error("it is negative"));
    }
    Duration::try_from_secs_f64(seconds).map_err(|_| error("it is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations_read_as_go_does() {
        assert_eq!(parse_go("1h30m"), Some(5400.0));
        assert_eq!(parse_go("300ms"), Some(0.3));
        assert_eq!(parse_go("-2m"), Some(-120.0));
        assert_eq!(parse_go("1.5s"), Some(1.5));
        assert_eq!(parse_go("0"), Some(0.0));
        assert_eq!(parse_go("5"), None);
        assert_eq!(parse_go("5d"), None);
        assert_eq!(parse_go(""), None);
        assert_eq!(parse_go("-"), None);
    }

    #[test]
    fn options_take_go_durations_and_bare_seconds() {
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse(" 3 "), Ok(Duration::from_secs(3)));
        assert_eq!(parse("0"), Ok(Duration::ZERO));
        assert_eq!(
            parse("2 weeks").unwrap_err().to_string(),
            "`2 weeks` is not a duration (expected a number and a unit)"
        );
        assert!(parse("fast").is_err());
        assert!(parse("m").is_err());
        assert_eq!(
            parse("-1s").unwrap_err().to_string(),
            "`-1s` is not a duration (it is negative)"
        );
        assert_eq!(
            parse("1e300h").unwrap_err().reason,
            "expected a number and a unit"
        );
        assert_eq!(
            parse("99999999999999999999999h").unwrap_err().reason,
            "it is out of range"
        );
    }
}
