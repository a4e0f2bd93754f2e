//! YAML (and JSON) documents as trees that remember where each node stands.
//!
//! Every layer reads YAML written by people: manifests, Falco rules files,
//! ConstraintTemplates, pattern policies. Errors must name the line and
//! column, so the tree keeps a position on every node, keys included.
//!
//! # Why `saphyr`
//!
//! `serde_yaml` is unmaintained. Its successor from the YAML organization,
//! `yaml_serde`, deserializes into serde types but does not expose node
//! positions, which we need on every node (a Falco rules error must point at
//! the offending key). `saphyr` is the maintained YAML 1.2 parser of the
//! `yaml-rust` lineage: pure Rust, no `unsafe` FFI, it keeps a span on every
//! node, rejects duplicate keys, and bounds alias expansion (billion laughs).
//! We convert its tree to our own [`Node`] once, so no other crate depends
//! on `saphyr`'s API.
//!
//! # Documents
//!
//! A stream is split into documents at `---` lines *before* parsing, so a
//! syntax error in one document is reported and the others still load.

use std::fmt;

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

pub use crate::yaml_depth::MAX_DEPTH;

/// One YAML node with its position (1-based line and column).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The node's content.
    pub value: Value,
    /// 1-based line where the node starts.
    pub line: u32,
    /// 1-based column where the node starts.
    pub column: u32,
}

/// The content of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`, `~` or nothing.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// Any other scalar.
    String(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order. Keys are unique (duplicates are an error).
    Map(Vec<(Node, Node)>),
}

/// One document of a YAML stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// 0-based index of the document in its stream.
    pub index: usize,
    /// The document's root node.
    pub root: Node,
}

/// A document that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// 0-based index of the document in its stream.
    pub document: usize,
    /// 1-based line of the problem.
    pub line: u32,
    /// 1-based column of the problem.
    pub column: u32,
    /// What is wrong, in the parser's words.
    pub message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Node {
    /// The value of `key` when this node is a mapping with a string key `key`.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// The string, when this node is a string scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The items, when this node is a sequence.
    pub fn items(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The entries, when this node is a mapping.
    pub fn entries(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// `true` for `null`, `~` and empty nodes.
    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// A name for the node's type, for error messages (`a mapping`, `a string`...).
    pub fn type_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::String(_) => "a string",
            Value::Seq(_) => "a sequence",
            Value::Map(_) => "a mapping",
        }
    }

    /// The scalar as text, the way a YAML reader that wants a string sees it
    /// (`true`, `42`, `text`); `None` for sequences, mappings and null.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::Bool(b) => Some(b.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(x) => Some(x.to_string()),
            Value::String(s) => Some(s.clone()),
            Value::Null | Value::Seq(_) | Value::Map(_) => None,
        }
    }

    /// The node as JSON. Mapping keys that are not strings are written as
    /// their scalar text; non-finite floats become `null`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(x) => serde_json::Number::from_f64(*x).map_or(J::Null, J::Number),
            Value::String(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.scalar_text().unwrap_or_default(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

/// Parses every document of a YAML stream. Each document is parsed on its
/// own, so one broken document does not hide the others. Empty documents
/// (only comments or blank lines) are skipped but keep their index.
pub fn parse_stream(text: &str) -> Vec<Result<Document, SyntaxError>> {
    let mut out = Vec::new();
    for (index, chunk) in split_documents(text).into_iter().enumerate() {
        match parse_chunk(chunk.text, chunk.first_line, index) {
            Ok(nodes) => out.extend(nodes.into_iter().map(|root| Ok(Document { index, root }))),
            Err(e) => out.push(Err(e)),
        }
    }
    out
}

/// A slice of the stream holding one document, starting at a line start.
pub(crate) struct Chunk<'a> {
    /// The document's text, its `---` line included.
    pub(crate) text: &'a str,
    /// Byte offset of the chunk in the stream.
    pub(crate) start: usize,
    /// 0-based line number of the chunk's first line in the stream.
    pub(crate) first_line: u32,
}

/// Splits at lines that start with the document marker `---`; chunks with
/// nothing but markers, comments and blank lines are left out (a
/// document's index is its place among the others).
pub(crate) fn split_documents(text: &str) -> Vec<Chunk<'_>> {
    let mut chunks = Vec::new();
    let mut start = 0usize;
    let mut start_line = 0u32;
    let mut offset = 0usize;
    for (line_no, line) in (0u32..).zip(text.split_inclusive('\n')) {
        let is_marker = line.strip_prefix("---").is_some_and(|rest| {
            rest.is_empty() || rest.starts_with(|c: char| c.is_ascii_whitespace())
        });
        if is_marker && offset > start {
            chunks.push(Chunk {
                text: text.get(start..offset).unwrap_or_default(),
                start,
                first_line: start_line,
            });
            start = offset;
            start_line = line_no;
        }
        offset += line.len();
    }
    chunks.push(Chunk {
        text: text.get(start..).unwrap_or_default(),
        start,
        first_line: start_line,
    });
    chunks.retain(|c| has_content(c.text));
    chunks
}

/// `true` when the text holds more than markers, comments and blank lines.
fn has_content(text: &str) -> bool {
    text.lines().any(|line| {
        let t = line.trim();
        !(t.is_empty() || t.starts_with('#') || t == "---" || t == "...")
    })
}

fn parse_chunk(text: &str, first_line: u32, index: usize) -> Result<Vec<Node>, SyntaxError> {
    if let Some((line, column)) = crate::yaml_depth::too_deep(text) {
        return Err(SyntaxError {
            document: index,
            line: line + first_line + 1,
            column,
            message: format!("nesting deeper than {MAX_DEPTH} levels"),
        });
    }
    let first = match load_nodes(text, first_line, index) {
        Ok(nodes) => return Ok(nodes),
        Err(e) => e,
    };
    relax_indentation(text, first_line, index, first)
}

/// libyaml, yaml-cpp and go-yaml (what Falco, Gatekeeper and kubectl read
/// YAML with) accept two shapes that `saphyr` refuses as badly indented:
///
/// - a multi-line flow collection whose closing `]` or `}` stands at the
///   indentation of its key (the official `falco-sandbox_rules.yaml` has
///   several);
/// - a multi-line quoted scalar whose continuation lines stand at the
///   indentation of its key (Gatekeeper library's `httpsonly` template).
///
/// When a parse fails on one of them, the offending lines are indented two
/// more columns and the parse retried (closers all at once first, then one
/// error at a time). Neither change alters a value: a closer holds none,
/// and leading white space of a quoted scalar's continuation lines is
/// folded away. Nodes keep their exact positions. Any other error is
/// returned as it was.
fn relax_indentation(
    text: &str,
    first_line: u32,
    index: usize,
    first: SyntaxError,
) -> Result<Vec<Node>, SyntaxError> {
    /// Bound on the retries (each is a full parse).
    const MAX_RETRIES: usize = 64;
    if is_closer_error(text, first_line, &first)
        && let Ok(nodes) = load_nodes(
            &indent_lines(text, |_, line| is_closer(line)),
            first_line,
            index,
        )
    {
        return Ok(nodes);
    }
    let mut current = text.to_owned();
    let mut error = first.clone();
    for _ in 0..MAX_RETRIES {
        let fixed = if is_closer_error(&current, first_line, &error) {
            let target = error.line.saturating_sub(first_line + 1) as usize;
            indent_lines(&current, |i, _| i == target)
        } else if error.message == "invalid indentation in quoted scalar" {
            match indent_scalar_continuation(&current, first_line, &error) {
                Some(fixed) => fixed,
                None => break,
            }
        } else {
            break;
        };
        current = fixed;
        match load_nodes(&current, first_line, index) {
            Ok(nodes) => return Ok(nodes),
            Err(e) => error = e,
        }
    }
    Err(first)
}

/// For a quoted scalar starting at `e`'s position: indents its continuation
/// lines that are not deeper than the line it starts on, up to the line
/// holding its closing quote. `None` when there is nothing to indent.
fn indent_scalar_continuation(text: &str, first_line: u32, e: &SyntaxError) -> Option<String> {
    let start = e.line.saturating_sub(first_line + 1) as usize;
    let start_line = text.lines().nth(start)?;
    let quote = start_line
        .chars()
        .nth(e.column.saturating_sub(1) as usize)
        .filter(|c| matches!(c, '"' | '\''))?;
    let base = indentation(start_line);
    let mut picked = Vec::new();
    for (i, line) in text.lines().enumerate().skip(start + 1) {
        if !line.trim().is_empty() && indentation(line) <= base {
            picked.push(i);
        }
        if line.contains(quote) {
            break;
        }
    }
    (!picked.is_empty()).then(|| indent_lines(text, |i, _| picked.contains(&i)))
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// A line holding only a closing bracket (and maybe a comma).
fn is_closer(line: &str) -> bool {
    matches!(line.trim(), "]" | "}" | "]," | "},")
}

fn is_closer_error(text: &str, first_line: u32, e: &SyntaxError) -> bool {
    e.message == "invalid indentation"
        && text
            .lines()
            .nth(e.line.saturating_sub(first_line + 1) as usize)
            .is_some_and(is_closer)
}

/// `text` with two spaces added before every line `pick` chooses (given its
/// 0-based index and content).
fn indent_lines(text: &str, mut pick: impl FnMut(usize, &str) -> bool) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if pick(i, line) {
            out.push_str("  ");
        }
        out.push_str(line);
    }
    out
}

fn load_nodes(text: &str, first_line: u32, index: usize) -> Result<Vec<Node>, SyntaxError> {
    let docs = MarkedYaml::load_from_str(text).map_err(|e| {
        let m = e.marker();
        SyntaxError {
            document: index,
            line: to_u32(m.line()) + first_line,
            column: to_u32(m.col()) + 1,
            message: e.info().to_owned(),
        }
    })?;
    let mut nodes = Vec::with_capacity(docs.len());
    for doc in &docs {
        nodes.push(convert(doc, first_line, index, 0)?);
    }
    Ok(nodes)
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn convert(
    node: &MarkedYaml<'_>,
    first_line: u32,
    index: usize,
    depth: usize,
) -> Result<Node, SyntaxError> {
    let line = to_u32(node.span.start.line()) + first_line;
    let column = to_u32(node.span.start.col()) + 1;
    let error = |message: String| SyntaxError {
        document: index,
        line,
        column,
        message,
    };
    if depth > MAX_DEPTH {
        return Err(error(format!("nesting deeper than {MAX_DEPTH} levels")));
    }
    let value = match &node.data {
        YamlData::Value(scalar) => match scalar {
            Scalar::Null => Value::Null,
            Scalar::Boolean(b) => Value::Bool(*b),
            Scalar::Integer(i) => Value::Int(*i),
            Scalar::FloatingPoint(x) => Value::Float(x.into_inner()),
            Scalar::String(s) => Value::String(s.to_string()),
        },
        YamlData::Representation(text, _, _) => Value::String(text.to_string()),
        YamlData::Sequence(items) => Value::Seq(
            items
                .iter()
                .map(|item| convert(item, first_line, index, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        YamlData::Mapping(map) => Value::Map(
            map.iter()
                .map(|(k, v)| {
                    Ok((
                        convert(k, first_line, index, depth + 1)?,
                        convert(v, first_line, index, depth + 1)?,
                    ))
                })
                .collect::<Result<_, _>>()?,
        ),
        YamlData::Tagged(_, inner) => {
            return convert(inner, first_line, index, depth + 1).map(|mut n| {
                n.line = line;
                n.column = column;
                n
            });
        }
        YamlData::Alias(_) => return Err(error("unresolved alias".to_owned())),
        YamlData::BadValue => return Err(error("invalid value for its tag".to_owned())),
    };
    Ok(Node {
        value,
        line,
        column,
    })
}

/// Writes JSON data as one YAML document in block style (without the
/// `---` marker), with `saphyr`'s emitter: map keys in their order,
/// strings quoted where YAML would read them as something else.
pub fn to_yaml_string(value: &serde_json::Value) -> String {
    emit(value, None)
}

/// [`to_yaml_string`], with mapping keys in the order `like` has them
/// (keys `like` lacks come after, in the map's order): an edited object
/// written back in the order its author wrote it.
pub fn to_yaml_string_like(value: &serde_json::Value, like: &Node) -> String {
    emit(value, Some(like))
}

fn emit(value: &serde_json::Value, like: Option<&Node>) -> String {
    fn convert<'a>(value: &'a serde_json::Value, like: Option<&Node>) -> saphyr::Yaml<'a> {
        use std::borrow::Cow;
        let key = |k: &'a str| saphyr::Yaml::Value(Scalar::String(Cow::Borrowed(k)));
        match value {
            serde_json::Value::Null => saphyr::Yaml::Value(Scalar::Null),
            serde_json::Value::Bool(b) => saphyr::Yaml::Value(Scalar::Boolean(*b)),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => saphyr::Yaml::Value(Scalar::Integer(i)),
                None => saphyr::Yaml::Value(Scalar::FloatingPoint(
                    n.as_f64().unwrap_or_default().into(),
                )),
            },
            serde_json::Value::String(s) => {
                saphyr::Yaml::Value(Scalar::String(Cow::Borrowed(s.as_str())))
            }
            serde_json::Value::Array(items) => saphyr::Yaml::Sequence(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| convert(v, like.and_then(|n| n.items()?.get(i))))
                    .collect(),
            ),
            serde_json::Value::Object(map) => {
                let mut out = saphyr::Mapping::new();
                let written: Vec<(&Node, &Node)> = like
                    .and_then(Node::entries)
                    .unwrap_or_default()
                    .iter()
                    .map(|(k, v)| (k, v))
                    .collect();
                for (k, child) in &written {
                    let name = k.scalar_text().unwrap_or_default();
                    if let Some((name, v)) = map.get_key_value(&name) {
                        out.insert(key(name), convert(v, Some(child)));
                    }
                }
                for (k, v) in map {
                    let seen = written
                        .iter()
                        .any(|(w, _)| w.scalar_text().as_deref() == Some(k.as_str()));
                    if !seen {
                        out.insert(key(k), convert(v, None));
                    }
                }
                saphyr::Yaml::Mapping(out)
            }
        }
    }
    let doc = convert(value, like);
    let mut out = String::new();
    let mut emitter = saphyr::YamlEmitter::new(&mut out);
    emitter.multiline(true);
    if emitter.dump(&doc).is_err() {
        // Writing into a `String` does not fail; keep JSON (valid YAML) if it did.
        return value.to_string();
    }
    let body = out.strip_prefix("---\n").unwrap_or(&out).to_owned();
    body + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_data_round_trips_through_yaml() {
        let value = serde_json::json!({"metadata": {"name": "p", "labels": {"v": "1", "b": "true"}},
            "spec": {"containers": [{"name": "c", "args": ["a: b", ""], "n": 3, "f": 1.5}],
                     "empty": {}, "none": null, "list": []}});
        let text = to_yaml_string(&value);
        let back = parse_stream(&text).remove(0).unwrap().root.to_json();
        assert_eq!(back, value, "{text}");
    }

    #[test]
    fn positions_are_one_based_and_stream_relative() {
        let docs = parse_stream("a: 1\n---\n# comment\nb:\n  c: [x, y]\n");
        assert_eq!(docs.len(), 2);
        let second = docs[1].as_ref().unwrap();
        assert_eq!(second.index, 1);
        let b = second.root.get("b").unwrap();
        assert_eq!((b.line, b.column), (5, 3));
        let c = b.get("c").unwrap();
        assert_eq!(c.items().unwrap()[1].column, 10);
    }

    #[test]
    fn a_broken_document_does_not_hide_the_others() {
        let docs = parse_stream("a: 1\n---\nb: [unclosed\n---\nc: 3\n");
        assert_eq!(docs.len(), 3);
        let err = docs[1].as_ref().unwrap_err();
        assert_eq!(err.document, 1);
        assert!(err.line >= 3, "{err:?}");
        assert!(docs[2].is_ok());
    }

    #[test]
    fn libyaml_indentation_leniencies_are_kept() {
        let text = "- list: a\n  items: [\n    x, y\n  ]\n- list: b\n  items: {k: v\n  }\n";
        let docs = parse_stream(text);
        let root = &docs[0].as_ref().unwrap().root;
        let items = root.items().unwrap();
        assert_eq!(items[0].get("items").unwrap().items().unwrap().len(), 2);
        assert_eq!(items[1].get("list").unwrap().line, 5);
        assert!(items[1].get("items").unwrap().get("k").is_some());
        let text = "a:\n  description: \"first\n  second\"\n  b: 1\n";
        let docs = parse_stream(text);
        let root = &docs[0].as_ref().unwrap().root;
        let a = root.get("a").unwrap();
        assert_eq!(a.get("description").unwrap().as_str(), Some("first second"));
        assert_eq!(a.get("b").unwrap().line, 4);
        // Other indentation errors are still errors.
        assert!(parse_stream("a:\n  b: 1\n c: 2\n")[0].is_err());
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let docs = parse_stream("a: 1\na: 2\n");
        assert!(docs[0].is_err());
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let docs = parse_stream(&text);
        assert!(docs[0].is_err());
    }

    #[test]
    fn json_is_yaml() {
        let docs = parse_stream("{\"kind\": \"Pod\", \"spec\": {\"n\": 3, \"ok\": true}}");
        let json = docs[0].as_ref().unwrap().root.to_json();
        assert_eq!(json["spec"]["n"], 3);
        assert_eq!(json["spec"]["ok"], true);
    }

    #[test]
    fn empty_streams_have_no_documents() {
        assert!(parse_stream("").is_empty());
        assert!(parse_stream("# nothing\n---\n---\n").is_empty());
    }
}
