//! Where an object stands and what it is, as the admission commands print
//! it in JSON (`file`, `line`, `column`, `object`: `Kind namespace/name`).

use palisade::manifest::Manifest;
use serde::Serialize;

/// The first fields of an object's JSON row (flattened into the row).
#[derive(Serialize)]
pub(super) struct ObjectAt<'a> {
    file: &'a str,
    line: u32,
    column: u32,
    object: String,
}

impl<'a> ObjectAt<'a> {
    /// The fields for `m`.
    pub(super) fn of(m: &'a Manifest) -> ObjectAt<'a> {
        ObjectAt {
            file: &m.source.file,
            line: m.source.line,
            column: m.source.column,
            object: m.object_ref().to_string(),
        }
    }
}
