//! Comparing an output with another tool's golden output where only the
//! content counts, not the order.

use std::collections::BTreeSet;

/// The non-blank lines of `text`, trailing blanks removed, as a set: two
/// outputs listing the same lines in another order compare equal.
pub fn line_set(text: &str) -> BTreeSet<String> {
    text.lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_and_blank_lines_do_not_count_but_content_does() {
        assert_eq!(line_set("b\na  \n\n"), line_set("a\nb\n"));
        assert_ne!(line_set("a\nb\n"), line_set("a\nc\n"));
    }
}
