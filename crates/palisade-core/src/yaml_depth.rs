//! A cheap scan that bounds YAML nesting *before* the parser runs.
//!
//! The YAML parser and the tree it builds are recursive: a document nested
//! 100,000 levels deep (`[[[[...`, `{a: {a: ...`, or ever deeper block
//! indentation) would exhaust the stack while parsing or dropping the tree,
//! before [`MAX_DEPTH`] is checked on the converted tree. This
//! scan estimates the depth from the text alone: open flow brackets plus
//! the levels of the block-indentation stack (compact `- - -` sequence
//! entries included). The estimate errs high (brackets in plain scalars,
//! indented block-scalar text), so its limit, [`MAX_SCAN_DEPTH`], is set
//! above `MAX_DEPTH`; the exact check stays on the tree.
//!
//! Both limits live here, in a leaf module that imports nothing from the
//! crate, so the reader ([`crate::yaml`], which re-exports [`MAX_DEPTH`])
//! depends on this scan and not the other way round.

/// How deep a document may nest before it is refused (a guard against
/// stack exhaustion on hostile input).
pub const MAX_DEPTH: usize = 256;

/// The estimated nesting at which a document is refused before parsing.
pub const MAX_SCAN_DEPTH: usize = MAX_DEPTH + 64;

/// Where the estimated nesting first goes over [`MAX_SCAN_DEPTH`]:
/// 0-based line and 1-based column, in `text`.
pub(crate) fn too_deep(text: &str) -> Option<(u32, u32)> {
    let mut flow = 0usize;
    let mut indents: Vec<usize> = Vec::new();
    for (line_no, line) in (0u32..).zip(text.lines()) {
        let bytes = line.as_bytes();
        // Block structure: indentation, then compact sequence entries.
        let mut col = bytes.iter().take_while(|b| **b == b' ').count();
        let rest = bytes.get(col..).unwrap_or_default();
        if rest.is_empty() || rest.first() == Some(&b'#') {
            continue;
        }
        while indents.last().is_some_and(|top| *top > col) {
            indents.pop();
        }
        if indents.last().is_none_or(|top| *top < col) {
            indents.push(col);
        }
        while bytes.get(col) == Some(&b'-') && matches!(bytes.get(col + 1), Some(b' ') | None) {
            col += 1;
            col += bytes
                .get(col..)
                .unwrap_or_default()
                .iter()
                .take_while(|b| **b == b' ')
                .count();
            if col < bytes.len() {
                indents.push(col);
            }
        }
        if flow + indents.len() > MAX_SCAN_DEPTH {
            return Some((line_no, to_u32(col + 1)));
        }
        // Flow structure: brackets at token starts, outside quotes and
        // comments (quotes end at the line's end: the estimate may only err
        // high).
        let mut quote: Option<u8> = None;
        let mut prev = b' ';
        let mut i = 0usize;
        while let Some(&b) = bytes.get(i) {
            match quote {
                Some(q) => {
                    if b == b'\\' && q == b'"' {
                        i += 1;
                    } else if b == q {
                        quote = None;
                    }
                }
                None => {
                    let token_start =
                        matches!(prev, b' ' | b'\t' | b'[' | b'{' | b',' | b':' | b'-' | b'?');
                    match b {
                        b'#' if matches!(prev, b' ' | b'\t') => break,
                        b'"' | b'\'' if token_start => quote = Some(b),
                        b'[' | b'{' if token_start || flow > 0 => {
                            flow += 1;
                            if flow + indents.len() > MAX_SCAN_DEPTH {
                                return Some((line_no, to_u32(i + 1)));
                            }
                        }
                        b']' | b'}' => flow = flow.saturating_sub(1),
                        _ => {}
                    }
                }
            }
            prev = b;
            i += 1;
        }
    }
    None
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_documents_pass() {
        assert_eq!(too_deep("a: [1, {b: c}]\nd:\n  - e\n  - - f\n"), None);
        assert_eq!(too_deep("msg: \"[[[[[[\"\n"), None);
    }

    #[test]
    fn deep_brackets_are_found_with_their_column() {
        let text = "[".repeat(MAX_SCAN_DEPTH + 5);
        assert_eq!(
            too_deep(&text),
            Some((0, u32::try_from(MAX_SCAN_DEPTH).unwrap()))
        );
    }

    #[test]
    fn deep_indentation_is_found() {
        let text: String = (0..MAX_SCAN_DEPTH + 5)
            .map(|i| format!("{}a:\n", " ".repeat(i)))
            .collect();
        assert_eq!(
            too_deep(&text).map(|(l, _)| l),
            Some(u32::try_from(MAX_SCAN_DEPTH).unwrap())
        );
    }
}
