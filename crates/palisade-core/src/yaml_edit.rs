//! Writing an edited object back into the YAML text it came from, keeping
//! what a person wrote: the other documents of the file byte for byte, and
//! in the edited document the key order, the comments, the quoting and the
//! blank lines of every part the edit does not touch.
//!
//! The edit is given as the document's new content (JSON). The document is
//! compared with it field by field; each difference becomes a splice of the
//! text: a scalar replaced in place, an entry (`key: ...` and its block)
//! rewritten, deleted or added after the last entry of its mapping, items
//! appended to a block sequence. New parts are written in block style with
//! two-space indentation, below the indentation of their parent.
//!
//! What cannot be spliced safely (flow collections `{...}`/`[...]` that
//! change, block scalars `|`/`>`, anchors and tags, deleting the first key
//! of a sequence item, lists whose items are inserted or removed in the
//! middle) makes the whole document be written anew from the JSON, keys
//! still in the author's order ([`crate::yaml::to_yaml_string_like`]), and
//! then that document's comments are lost: [`Rewrite::layout_kept`] says
//! which happened. Either way the result is read back and must equal the
//! new content, or the rewrite is refused ([`EditError`]): a rewrite never
//! writes something other than asked.
//!
//! ```
//! use palisade_core::yaml_edit::rewrite_document;
//! use serde_json::json;
//!
//! let text = "# a pod\nkind: Pod   # the kind\nspec:\n  containers:\n  - name: a  # first\n    image: x\n";
//! let after = json!({"kind": "Pod", "spec": {"containers": [
//!     {"name": "a", "image": "x", "securityContext": {"runAsNonRoot": true}}]}});
//! let out = rewrite_document(text, 0, &after).unwrap();
//! assert!(out.layout_kept);
//! assert_eq!(out.text, "# a pod\nkind: Pod   # the kind\nspec:\n  containers:\n  - name: a  # first\n    image: x\n    securityContext:\n      runAsNonRoot: true\n");
//! ```

use serde_json::{Map, Value as Json, json};

use crate::yaml::{self, Node, Value};

/// A rewritten stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewrite {
    /// The whole stream, with the document replaced.
    pub text: String,
    /// `true` when the document was spliced (comments and layout kept);
    /// `false` when it had to be written anew (its comments are lost).
    pub layout_kept: bool,
}

/// Why a document could not be rewritten.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum EditError {
    /// The stream has no document with that index, or it does not parse.
    #[error("document {document} of the file cannot be read: {reason}")]
    #[diagnostic(code(palisade::yaml_edit::document))]
    Document {
        /// The 0-based document index.
        document: usize,
        /// What went wrong.
        reason: String,
    },
    /// The written document does not read back as the content asked for.
    #[error("document {document} does not read back as the edited object after rewriting")]
    #[diagnostic(code(palisade::yaml_edit::round_trip))]
    RoundTrip {
        /// The 0-based document index.
        document: usize,
    },
}

/// Replaces the content of document `document` (0-based, as
/// [`yaml::parse_stream`] counts them) of `text` with `after`.
pub fn rewrite_document(text: &str, document: usize, after: &Json) -> Result<Rewrite, EditError> {
    let unreadable = |reason: String| EditError::Document { document, reason };
    let chunks = yaml::split_documents(text);
    let chunk = chunks
        .get(document)
        .ok_or_else(|| unreadable("there are not so many documents".to_owned()))?;
    let root = read_document(text, document).map_err(unreadable)?;
    if root.to_json() == *after {
        return Ok(Rewrite {
            text: text.to_owned(),
            layout_kept: true,
        });
    }
    let lines = Lines::new(text);
    let mut splices = Vec::new();
    if plan_root(&lines, &root, after, &mut splices).is_ok()
        && let Some(spliced) = apply(text, splices)
        && reads_as(&spliced, document, after)
    {
        return Ok(Rewrite {
            text: spliced,
            layout_kept: true,
        });
    }
    // Written anew: from the root's first line to the chunk's last content
    // line (the `---` line, leading and trailing comments stay).
    let from = lines.start(root.line);
    let chunk_end = chunk.start + chunk.text.len();
    let to = content_end(text, from, chunk_end);
    let mut out = String::with_capacity(text.len());
    out.push_str(text.get(..from).unwrap_or_default());
    out.push_str(&yaml::to_yaml_string_like(after, &root));
    out.push_str(text.get(to..).unwrap_or_default());
    if reads_as(&out, document, after) {
        Ok(Rewrite {
            text: out,
            layout_kept: false,
        })
    } else {
        Err(EditError::RoundTrip { document })
    }
}

fn read_document(text: &str, document: usize) -> Result<Node, String> {
    match yaml::parse_stream(text)
        .into_iter()
        .find(|d| d.as_ref().map_or_else(|e| e.document, |d| d.index) == document)
    {
        Some(Ok(doc)) => Ok(doc.root),
        Some(Err(e)) => Err(format!("{}:{}: {}", e.line, e.column, e.message)),
        None => Err("there are not so many documents".to_owned()),
    }
}

fn reads_as(text: &str, document: usize, after: &Json) -> bool {
    read_document(text, document).is_ok_and(|root| root.to_json() == *after)
}

/// The byte just past the last line in `from..to` that holds more than a
/// comment or blank space (with its line break).
fn content_end(text: &str, from: usize, to: usize) -> usize {
    let mut end = from;
    let mut offset = from;
    for line in text.get(from..to).unwrap_or_default().split_inclusive('\n') {
        offset += line.len();
        let t = line.trim();
        if !(t.is_empty() || t.starts_with('#') || t == "..." || t == "---") {
            end = offset;
        }
    }
    end
}

/// One replacement of bytes `from..to` of the stream.
struct Splice {
    from: usize,
    to: usize,
    text: String,
}

/// Applies splices (none overlapping) from the last to the first.
fn apply(text: &str, mut splices: Vec<Splice>) -> Option<String> {
    splices.sort_by_key(|s| (s.from, s.to));
    for pair in splices.windows(2) {
        if let [a, b] = pair
            && b.from < a.to
        {
            return None;
        }
    }
    let mut out = text.to_owned();
    for s in splices.iter().rev() {
        if s.to > out.len() || !out.is_char_boundary(s.from) || !out.is_char_boundary(s.to) {
            return None;
        }
        out.replace_range(s.from..s.to, &s.text);
    }
    Some(out)
}

/// The stream's lines, 1-based, with their byte offsets.
struct Lines<'a> {
    text: &'a str,
    /// Byte offset of each line's start; one more entry for the end.
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Lines<'a> {
        let mut starts = vec![0];
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            offset += line.len();
            starts.push(offset);
        }
        Lines { text, starts }
    }

    /// Byte offset where 1-based line `n` starts (the end for lines past it).
    fn start(&self, n: u32) -> usize {
        let i = (n as usize).saturating_sub(1);
        self.starts.get(i).copied().unwrap_or(self.text.len())
    }

    /// Byte offset just past line `n`, its line break included.
    fn end(&self, n: u32) -> usize {
        self.start(n.saturating_add(1))
    }

    fn count(&self) -> u32 {
        u32::try_from(self.starts.len().saturating_sub(1)).unwrap_or(u32::MAX)
    }

    /// Line `n` without its line break.
    fn get(&self, n: u32) -> &'a str {
        self.text
            .get(self.start(n)..self.end(n))
            .unwrap_or_default()
            .trim_end_matches(['\n', '\r'])
    }

    /// Byte offset of 1-based column `col` (in characters) of line `n`.
    fn at(&self, n: u32, col: u32) -> usize {
        let line = self.get(n);
        let skip = (col as usize).saturating_sub(1);
        self.start(n)
            + line
                .char_indices()
                .nth(skip)
                .map_or(line.len(), |(byte, _)| byte)
    }

    /// The last line of the block that starts at line `n`, where a thing
    /// stands at 1-based column `col`: the following lines indented deeper
    /// (and, with `dash_too`, a `- ` item at the same column: a compact
    /// sequence under a key); trailing comments and blank lines excluded.
    fn block_end(&self, n: u32, col: u32, dash_too: bool) -> u32 {
        let indent = (col as usize).saturating_sub(1);
        let mut last = n;
        for m in n.saturating_add(1)..=self.count() {
            let line = self.get(m);
            let trimmed = line.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let depth = line.len() - trimmed.len();
            let dash = trimmed == "-" || trimmed.starts_with("- ");
            if depth > indent || (dash_too && depth == indent && dash) {
                last = m;
            } else {
                break;
            }
        }
        last
    }
}

/// The splice could not be planned: the document is written anew.
struct Unsafe;

fn plan_root(
    lines: &Lines<'_>,
    root: &Node,
    after: &Json,
    out: &mut Vec<Splice>,
) -> Result<(), Unsafe> {
    match (root.entries(), after.as_object()) {
        (Some(entries), Some(after)) if is_block(lines, root) && !entries.is_empty() => {
            plan_map(lines, entries, after, out)
        }
        _ => Err(Unsafe),
    }
}

/// `true` for a non-empty block mapping or sequence (not `{`/`[`).
fn is_block(lines: &Lines<'_>, node: &Node) -> bool {
    let first = lines
        .get(node.line)
        .chars()
        .nth((node.column as usize).saturating_sub(1));
    let non_empty = match &node.value {
        Value::Map(e) => !e.is_empty(),
        Value::Seq(i) => !i.is_empty(),
        _ => false,
    };
    non_empty && !matches!(first, Some('{' | '[' | '&' | '!' | '*'))
}

fn plan_map(
    lines: &Lines<'_>,
    entries: &[(Node, Node)],
    after: &Map<String, Json>,
    out: &mut Vec<Splice>,
) -> Result<(), Unsafe> {
    let mut last_end = 0u32;
    let mut indent = None;
    for (key, value) in entries {
        let name = key.as_str().ok_or(Unsafe)?;
        let end = lines.block_end(key.line, key.column, matches!(value.value, Value::Seq(_)));
        last_end = last_end.max(end);
        indent.get_or_insert(key.column);
        match after.get(name) {
            None => {
                // Deleting the first key of `- key: ...` would take the dash.
                if !prefix_is_blank(lines, key) {
                    return Err(Unsafe);
                }
                out.push(Splice {
                    from: lines.start(key.line),
                    to: lines.end(end),
                    text: String::new(),
                });
            }
            Some(new) if *new == value.to_json() => {}
            Some(new) => plan_entry(lines, key, value, end, new, out)?,
        }
    }
    let added: Map<String, Json> = after
        .iter()
        .filter(|(k, _)| !entries.iter().any(|(key, _)| key.as_str() == Some(k)))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !added.is_empty() {
        insert_after(lines, last_end, indent, &Json::Object(added), out)?;
    }
    Ok(())
}

/// Plans writing `value` (new entries or items) in block style after line
/// `last`, at 1-based column `col`; text inserted at the very end of a
/// stream that lacks a final newline starts on a new line.
fn insert_after(
    lines: &Lines<'_>,
    last: u32,
    col: Option<u32>,
    value: &Json,
    out: &mut Vec<Splice>,
) -> Result<(), Unsafe> {
    let mut text = indented(&yaml::to_yaml_string(value), col.ok_or(Unsafe)?, true);
    let at = lines.end(last);
    if at == lines.text.len() && !lines.text.is_empty() && !lines.text.ends_with('\n') {
        text.insert(0, '\n');
    }
    out.push(Splice {
        from: at,
        to: at,
        text,
    });
    Ok(())
}

fn prefix_is_blank(lines: &Lines<'_>, node: &Node) -> bool {
    lines
        .get(node.line)
        .chars()
        .take((node.column as usize).saturating_sub(1))
        .all(char::is_whitespace)
}

/// Plans the change of one `key: value` entry whose block ends at `end`.
fn plan_entry(
    lines: &Lines<'_>,
    key: &Node,
    value: &Node,
    end: u32,
    new: &Json,
    out: &mut Vec<Splice>,
) -> Result<(), Unsafe> {
    let old = value.to_json();
    match (&value.value, new) {
        // A mapping emptied by the edit is written `{}`, not left bare (null).
        (Value::Map(entries), Json::Object(after))
            if is_block(lines, value) && !after.is_empty() =>
        {
            return plan_map(lines, entries, after, out);
        }
        (Value::Seq(items), Json::Array(after))
            if is_block(lines, value) && old.as_array().is_some_and(|o| o.len() <= after.len()) =>
        {
            return plan_seq(lines, items, after, out);
        }
        _ => {}
    }
    if end == key.line && value.line == key.line && replace_scalar(lines, value, new, out) {
        return Ok(());
    }
    // The entry written anew where it stands (a `- ` before the key stays),
    // the keys it had still in their order.
    let mut one = Map::new();
    one.insert(key.as_str().ok_or(Unsafe)?.to_owned(), new.clone());
    let like = Node {
        value: Value::Map(vec![(key.clone(), value.clone())]),
        line: key.line,
        column: key.column,
    };
    let text = yaml::to_yaml_string_like(&Json::Object(one), &like);
    let text = indented(&text, key.column, false);
    out.push(Splice {
        from: lines.at(key.line, key.column),
        to: lines.end(end),
        text,
    });
    Ok(())
}

/// Plans replacing a one-line scalar by another, in place; `false` when
/// either is not one (nothing planned).
fn replace_scalar(lines: &Lines<'_>, node: &Node, new: &Json, out: &mut Vec<Splice>) -> bool {
    if new.is_object() || new.is_array() {
        return false;
    }
    let Some((from, to)) = scalar_span(lines, node) else {
        return false;
    };
    let text = yaml::to_yaml_string(new);
    let text = text.trim_end();
    if text.contains('\n') {
        return false;
    }
    out.push(Splice {
        from,
        to,
        text: text.to_owned(),
    });
    true
}

/// Plans a block sequence that keeps its items and may gain more at its end.
fn plan_seq(
    lines: &Lines<'_>,
    items: &[Node],
    after: &[Json],
    out: &mut Vec<Splice>,
) -> Result<(), Unsafe> {
    let mut last_end = 0u32;
    let mut dash_col = None;
    for (item, new) in items.iter().zip(after) {
        let dash = dash_column(lines, item).ok_or(Unsafe)?;
        dash_col.get_or_insert(dash);
        let end = lines.block_end(item.line, dash, false);
        last_end = last_end.max(end);
        if *new == item.to_json() {
            continue;
        }
        match (&item.value, new) {
            (Value::Map(entries), Json::Object(a)) if is_block(lines, item) => {
                plan_map(lines, entries, a, out)?;
            }
            _ => {
                if end != item.line || !replace_scalar(lines, item, new, out) {
                    return Err(Unsafe);
                }
            }
        }
    }
    if let Some(rest) = after.get(items.len()..)
        && !rest.is_empty()
    {
        insert_after(lines, last_end, dash_col, &json!(rest), out)?;
    }
    Ok(())
}

/// The column of the `-` of a block sequence item: the last `-` before the
/// item on its line (`- a`, `- - a`), when only dashes and spaces precede.
fn dash_column(lines: &Lines<'_>, item: &Node) -> Option<u32> {
    let before: Vec<char> = lines
        .get(item.line)
        .chars()
        .take((item.column as usize).saturating_sub(1))
        .collect();
    if !before.iter().all(|c| *c == '-' || *c == ' ') {
        return None;
    }
    let i = before.iter().rposition(|c| *c == '-')?;
    u32::try_from(i + 1).ok()
}

/// The bytes of a one-line scalar token at the node's position: a quoted
/// string up to its closing quote, or a plain scalar up to a comment or the
/// line's end. `None` for anything else (block scalars, anchors, tags,
/// flow collections).
fn scalar_span(lines: &Lines<'_>, node: &Node) -> Option<(usize, usize)> {
    if matches!(node.value, Value::Seq(_) | Value::Map(_)) {
        return None;
    }
    let line = lines.get(node.line);
    let from = lines.at(node.line, node.column);
    let rest = lines.text.get(from..lines.start(node.line) + line.len())?;
    let mut chars = rest.char_indices().peekable();
    let (_, first) = *chars.peek()?;
    let len = match first {
        '"' => {
            chars.next();
            let mut escaped = false;
            let mut close = None;
            for (i, c) in chars {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    close = Some(i + 1);
                    break;
                }
            }
            close?
        }
        '\'' => {
            let bytes = rest.as_bytes();
            let mut i = 1;
            loop {
                match bytes.get(i)? {
                    b'\'' if bytes.get(i + 1) == Some(&b'\'') => i += 2,
                    b'\'' => break i + 1,
                    _ => i += 1,
                }
            }
        }
        '|' | '>' | '&' | '*' | '!' | '{' | '[' => return None,
        _ => {
            let cut = rest.find(" #").unwrap_or(rest.len());
            rest.get(..cut)?.trim_end().len()
        }
    };
    Some((from, from + len))
}

/// `text` (block YAML) placed at 1-based column `col`: every line but the
/// first indented by `col - 1` spaces, the first too when `first`.
fn indented(text: &str, col: u32, first: bool) -> String {
    let pad = " ".repeat((col as usize).saturating_sub(1));
    let mut out = String::with_capacity(text.len() + pad.len() * 8);
    for (i, line) in text.lines().enumerate() {
        if (i > 0 || first) && !line.is_empty() {
            out.push_str(&pad);
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(text: &str, after: Json) -> Rewrite {
        rewrite_document(text, 0, &after).unwrap()
    }

    #[test]
    fn scalars_are_replaced_in_place_keeping_quotes_out_and_comments_in() {
        let text = "a: 1 # one\nb: \"x\"  # quoted\nc: 'y'\n";
        let out = rewrite(text, json!({"a": 2, "b": "z", "c": true}));
        assert!(out.layout_kept);
        assert_eq!(out.text, "a: 2 # one\nb: z  # quoted\nc: true\n");
    }

    #[test]
    fn keys_are_deleted_with_their_block_and_added_after_the_last_entry() {
        let text = "a:\n  b: 1\n  # note\n  c:\n  - x\n  - y\nd: 2\n";
        let out = rewrite(text, json!({"a": {"b": 1, "e": {"f": [1]}}, "d": 2}));
        assert!(out.layout_kept);
        assert_eq!(
            out.text,
            "a:\n  b: 1\n  # note\n  e:\n    f:\n      - 1\nd: 2\n"
        );
    }

    #[test]
    fn compact_sequences_and_items_are_followed() {
        let text = "list:\n- name: a\n  v: 1\n- name: b\nafter: x\n";
        let out = rewrite(
            text,
            json!({"list": [{"name": "a", "v": 2}, {"name": "b", "w": true}, "c"], "after": "x"}),
        );
        assert!(out.layout_kept);
        assert_eq!(
            out.text,
            "list:\n- name: a\n  v: 2\n- name: b\n  w: true\n- c\nafter: x\n"
        );
    }

    #[test]
    fn other_documents_are_kept_byte_for_byte() {
        let text = "a: 1\n---\n# second\nb:   {x: 1}\n---\nc: 3 # third\n";
        let out = rewrite_document(text, 1, &json!({"b": {"x": 2, "y": 3}})).unwrap();
        assert!(out.layout_kept);
        assert_eq!(
            out.text,
            "a: 1\n---\n# second\nb:\n  x: 2\n  y: 3\n---\nc: 3 # third\n"
        );
    }

    #[test]
    fn what_cannot_be_spliced_is_written_anew_in_the_authors_order() {
        // A flow list that shrinks: its entry is rewritten in block style.
        let text = "# top\nz: 1\nlist: [a, b, c]\ny: |\n  text\n";
        let out = rewrite(text, json!({"z": 1, "list": ["a", "c"], "y": "text\n"}));
        assert!(out.layout_kept);
        assert_eq!(out.text, "# top\nz: 1\nlist:\n  - a\n  - c\ny: |\n  text\n");
        // A flow mapping that changes keeps its keys' order.
        let out = rewrite("m: {z: 1, a: 2}\n", json!({"m": {"z": 1, "a": 3}}));
        assert_eq!(out.text, "m:\n  z: 1\n  a: 3\n");
        // Deleting the first key of an item would take its dash.
        let text = "# top\nz: 1 # c\nlist:\n- name: a\n  v: 1\n";
        let out = rewrite(text, json!({"list": [{"v": 1}], "z": 2}));
        assert!(!out.layout_kept);
        assert_eq!(out.text, "# top\nz: 2\nlist:\n  - v: 1\n");
    }

    #[test]
    fn a_mapping_emptied_by_the_edit_stays_a_mapping() {
        let text = "sc:\n  opts:\n    user: u # who\n  b: 1\n";
        let out = rewrite(text, json!({"sc": {"opts": {}, "b": 1}}));
        assert!(out.layout_kept);
        assert_eq!(out.text, "sc:\n  opts: {}\n  b: 1\n");
    }

    #[test]
    fn a_missing_final_newline_is_handled() {
        let out = rewrite("a: 1", json!({"a": 1, "b": 2}));
        assert_eq!(out.text, "a: 1\nb: 2\n");
    }

    #[test]
    fn a_missing_document_is_an_error() {
        let e = rewrite_document("a: 1\n", 3, &json!({})).unwrap_err();
        assert_eq!(
            e.to_string(),
            "document 3 of the file cannot be read: there are not so many documents"
        );
    }
}
