//! Where something came from in a source file.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A position in a source file: 1-based line and column.
///
/// Displayed as `file:line:column`, the form editors and terminals link to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Location {
    /// The file's name as the user gave it (`<stdin>` for standard input).
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub column: u32,
}

impl Location {
    /// A location in `file` at `line` and `column` (both 1-based).
    pub fn new(file: impl Into<String>, line: u32, column: u32) -> Location {
        Location {
            file: file.into(),
            line,
            column,
        }
    }
}

/// `bytes` as text; where they are not UTF-8, the location in `file` of
/// the first byte that is not (its column counted in characters, as
/// everywhere) and that byte's offset.
///
/// ```
/// let err = palisade_core::location::decode_utf8("a.yaml", b"kind: Pod\nname: \xff").unwrap_err();
/// assert_eq!((err.0.to_string(), err.1), ("a.yaml:2:7".to_owned(), 16));
/// ```
pub fn decode_utf8<'a>(file: &str, bytes: &'a [u8]) -> Result<&'a str, (Location, usize)> {
    std::str::from_utf8(bytes).map_err(|e| {
        let offset = e.valid_up_to();
        // The prefix before the error is valid UTF-8.
        let before =
            std::str::from_utf8(bytes.get(..offset).unwrap_or_default()).unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        let at = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        (Location::new(file, at(line), at(column)), offset)
    })
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}
