//! A bound on how deeply a Rego module nests `{` and `[` before regorus
//! parses it.
//!
//! regorus's parser backtracks at every `{` and `[` (object, set, array or
//! comprehension), so its time doubles with each level of nesting that does
//! not parse as the first alternative: 20 unclosed levels take seconds, 60
//! never finish (found by the `ffi` fuzz target). The Gatekeeper library's
//! templates nest at most 4 levels, so refusing more than
//! [`MAX_REGO_NESTING`] levels costs real templates nothing and keeps a
//! template load bounded (about 0.1 s at the limit).

use crate::limits::MAX_REGO_NESTING;

/// Where a module first nests deeper than [`MAX_REGO_NESTING`]: 1-based
/// line and column of the bracket that crosses the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TooDeep {
    /// 1-based line of the bracket.
    pub line: usize,
    /// 1-based column (in characters) of the bracket.
    pub column: usize,
}

/// Checks the nesting of `{` and `[` in `rego`, outside string literals
/// (`"..."` with escapes, `` `raw` ``) and comments (`#` to the end of the
/// line). Closing brackets never take the depth below zero.
pub(crate) fn check(rego: &str) -> Result<(), TooDeep> {
    let mut depth = 0usize;
    let mut line = 1usize;
    let mut column = 0usize;
    let mut chars = rego.chars();
    // Inside a literal: the quote that closes it.
    let mut quote: Option<char> = None;
    let mut in_comment = false;
    while let Some(ch) = chars.next() {
        column += 1;
        if ch == '\n' {
            line += 1;
            column = 0;
            in_comment = false;
            continue;
        }
        if in_comment {
            continue;
        }
        if let Some(close) = quote {
            if ch == '\\' && close == '"' {
                // The escaped character cannot close the literal.
                if chars.next().is_some() {
                    column += 1;
                }
            } else if ch == close {
                quote = None;
            }
            continue;
        }
        match ch {
            '"' | '`' => quote = Some(ch),
            '#' => in_comment = true,
            '{' | '[' => {
                depth += 1;
                if depth > MAX_REGO_NESTING {
                    return Err(TooDeep { line, column });
                }
            }
            '}' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_nesting_passes() {
        let rego = "package p\nviolation[{\"msg\": msg, \"details\": {\"x\": [c | c := input.review.object.spec.containers[_]]}}] {\n  msg := \"{[{[{[{[{[{[{[{[\"\n}\n";
        assert_eq!(check(rego), Ok(()));
    }

    #[test]
    fn deep_nesting_names_the_bracket() {
        let mut rego = String::from("package p\n# {{{{{{{{{{{{{{{{{{{{\nx := ");
        rego.push_str(&"[".repeat(MAX_REGO_NESTING + 5));
        assert_eq!(
            check(&rego),
            Err(TooDeep {
                line: 3,
                column: 6 + MAX_REGO_NESTING
            })
        );
    }

    #[test]
    fn closing_brackets_do_not_underflow() {
        let rego = format!("{}{}", "}]".repeat(50), "{".repeat(MAX_REGO_NESTING));
        assert_eq!(check(&rego), Ok(()));
    }

    #[test]
    fn escapes_and_raw_strings_are_skipped() {
        let inner = "{".repeat(MAX_REGO_NESTING + 1);
        let rego = format!("x := \"\\\"{inner}\"\ny := `{inner}`\n");
        assert_eq!(check(&rego), Ok(()));
    }
}
