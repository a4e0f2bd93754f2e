//! Kubernetes objects read from files, directories or standard input, each
//! remembering where it came from.
//!
//! - YAML (`.yaml`, `.yml`) with any number of `---`-separated documents;
//! - JSON (`.json`);
//! - `kind: List` and every `*List` kind (`PodList`, ...) are flattened into
//!   their `items`;
//! - directories are walked recursively in sorted order, reading files whose
//!   names end in `.yaml`, `.yml` or `.json` (hidden entries are skipped);
//! - `-` reads standard input.
//!
//! A malformed document is reported with file, line and column and does not
//! stop the rest from loading: [`LoadReport`] holds both what loaded and
//! what did not, and the caller decides whether errors are fatal.
//! See [`crate::yaml`] for the choice of YAML parser.

use std::fs;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value as Json;

use crate::positions::Positions;
use crate::walk::{MANIFEST_EXTENSIONS, Walker, has_extension};
use crate::yaml::{self, Node};
use crate::{Location, ObjectRef};

/// Largest file the loader reads; larger files are refused with an error.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// How deep directories are walked.
const MAX_DIR_DEPTH: usize = 64;

/// Where an object came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Source {
    /// The file's path as given (`<stdin>` for standard input).
    pub file: String,
    /// 0-based index of the document in the file.
    pub document: usize,
    /// 0-based index of the object in its `List`, when it came from one.
    pub item: Option<usize>,
    /// 1-based line where the object starts.
    pub line: u32,
    /// 1-based column where the object starts.
    pub column: u32,
}

impl Source {
    /// The object's position as a [`Location`].
    pub fn location(&self) -> Location {
        Location::new(self.file.clone(), self.line, self.column)
    }
}

/// One Kubernetes object and where it came from, down to each field.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// The object as JSON, exactly as written.
    pub object: Json,
    /// Where it came from.
    pub source: Source,
    /// Where each of its fields stands in the file (shared: cloning a
    /// manifest does not copy it). Read only to report problems.
    pub positions: Arc<Positions>,
}

impl Manifest {
    /// Where the field at `path` (`spec.ingress[0].from`) is written, or
    /// the closest enclosing field that is (the object's start at worst).
    /// See [`Positions::get`] for the path form.
    pub fn locate(&self, path: &str) -> Location {
        self.positions.locate(&self.source.location(), path)
    }

    /// `kind`, when present and a string.
    pub fn kind(&self) -> Option<&str> {
        self.object.get("kind")?.as_str()
    }

    /// `apiVersion`, when present and a string.
    pub fn api_version(&self) -> Option<&str> {
        self.object.get("apiVersion")?.as_str()
    }

    /// `metadata.name`, when present.
    pub fn name(&self) -> Option<&str> {
        self.object.get("metadata")?.get("name")?.as_str()
    }

    /// `metadata.namespace`, when present.
    pub fn namespace(&self) -> Option<&str> {
        self.object.get("metadata")?.get("namespace")?.as_str()
    }

    /// `metadata.labels` as (key, value) pairs; values that are not strings
    /// are skipped.
    pub fn labels(&self) -> impl Iterator<Item = (&str, &str)> {
        labels_of(&self.object)
    }

    /// A reference to the object (`metadata.generateName` stands in for a
    /// missing name).
    pub fn object_ref(&self) -> ObjectRef {
        let generate_name = || {
            self.object
                .get("metadata")
                .and_then(|m| m.get("generateName"))
                .and_then(Json::as_str)
        };
        ObjectRef {
            api_version: self.api_version().unwrap_or_default().to_owned(),
            kind: self.kind().unwrap_or_default().to_owned(),
            namespace: self.namespace().map(str::to_owned),
            name: self
                .name()
                .or_else(generate_name)
                .unwrap_or_default()
                .to_owned(),
        }
    }
}

/// A problem met while loading manifests. Every variant names the file, and
/// the line and column where there is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum ManifestError {
    /// A file or directory could not be read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Read(#[from] ReadError),
    /// A document is not valid YAML or JSON.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Syntax(#[from] SyntaxError),
    /// A document is valid but is not a Kubernetes object.
    #[error(transparent)]
    #[diagnostic(transparent)]
    NotAnObject(#[from] NotAnObjectError),
}

impl ManifestError {
    /// The file the error is about.
    pub fn file(&self) -> &str {
        match self {
            ManifestError::Read(e) => &e.file,
            ManifestError::Syntax(e) => &e.location.file,
            ManifestError::NotAnObject(e) => &e.location.file,
        }
    }

    /// What is wrong, without the file and position.
    pub fn message(&self) -> &str {
        match self {
            ManifestError::Read(e) => &e.reason,
            ManifestError::Syntax(e) => &e.message,
            ManifestError::NotAnObject(e) => &e.message,
        }
    }

    /// The position of the error, when it has one.
    pub fn location(&self) -> Option<&Location> {
        match self {
            ManifestError::Read(_) => None,
            ManifestError::Syntax(e) => Some(&e.location),
            ManifestError::NotAnObject(e) => Some(&e.location),
        }
    }
}

/// A file or directory could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{file}: {reason}")]
#[diagnostic(code(palisade::manifest::read))]
pub struct ReadError {
    /// The path as given.
    pub file: String,
    /// Why it could not be read.
    pub reason: String,
}

/// A document that is not valid YAML or JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{location}: {message}")]
#[diagnostic(
    code(palisade::manifest::syntax),
    help("fix the document; the other documents and files were still read")
)]
pub struct SyntaxError {
    /// Where the parser stopped.
    pub location: Location,
    /// 0-based index of the document in its file.
    pub document: usize,
    /// The parser's message.
    pub message: String,
}

/// A document that parsed but is not a Kubernetes object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{location}: {message}")]
#[diagnostic(
    code(palisade::manifest::not_an_object),
    help("a Kubernetes object is a mapping with string `apiVersion` and `kind`")
)]
pub struct NotAnObjectError {
    /// Where the document (or list item) starts.
    pub location: Location,
    /// 0-based index of the document in its file.
    pub document: usize,
    /// What is wrong with it.
    pub message: String,
}

/// Everything a load produced: the objects that loaded and the errors met.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadReport {
    /// Objects in the order they were found.
    pub objects: Vec<Manifest>,
    /// Problems, in the order they were met.
    pub errors: Vec<ManifestError>,
}

impl LoadReport {
    /// Adds another report's objects and errors after this one's.
    pub fn extend(&mut self, other: LoadReport) {
        self.objects.extend(other.objects);
        self.errors.extend(other.errors);
    }

    /// `true` when nothing went wrong.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Loads every path in order (files, directories, or `-` for standard input).
pub fn load_paths<P: AsRef<Path>>(paths: &[P]) -> LoadReport {
    let mut report = LoadReport::default();
    for path in paths {
        report.extend(load_path(path.as_ref()));
    }
    report
}

/// Loads one path: a file, a directory (recursively), or `-` for standard input.
pub fn load_path(path: &Path) -> LoadReport {
    if path == Path::new("-") {
        return load_reader("<stdin>", std::io::stdin().lock());
    }
    let mut report = LoadReport::default();
    match fs::metadata(path) {
        Ok(meta) if meta.is_dir() => {
            match Walker::new()
                .max_depth(MAX_DIR_DEPTH)
                .files(path, |p| has_extension(p, &MANIFEST_EXTENSIONS))
            {
                Ok(files) => {
                    for file in files {
                        report.extend(load_file(&file));
                    }
                }
                Err(e) => report.errors.push(
                    ReadError {
                        file: e.path.display().to_string(),
                        reason: e.reason,
                    }
                    .into(),
                ),
            }
        }
        Ok(_) => report.extend(load_file(path)),
        Err(e) => report.errors.push(read_error(path, &e)),
    }
    report
}

fn read_error(path: &Path, e: &std::io::Error) -> ManifestError {
    ReadError {
        file: path.display().to_string(),
        reason: e.to_string(),
    }
    .into()
}

/// Loads one file (YAML, or JSON when its name ends in `.json`).
pub fn load_file(path: &Path) -> LoadReport {
    let name = path.display().to_string();
    match fs::File::open(path) {
        Ok(file) => load_reader(&name, file),
        Err(e) => LoadReport {
            objects: Vec::new(),
            errors: vec![read_error(path, &e)],
        },
    }
}

/// Loads everything readable from `reader`, naming it `name` in sources and errors.
pub fn load_reader(name: &str, reader: impl Read) -> LoadReport {
    let mut bytes = Vec::new();
    let read = reader.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes);
    let error = |reason: String| LoadReport {
        objects: Vec::new(),
        errors: vec![
            ReadError {
                file: name.to_owned(),
                reason,
            }
            .into(),
        ],
    };
    if let Err(e) = read {
        return error(e.to_string());
    }
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return error(format!("larger than the limit of {MAX_FILE_BYTES} bytes"));
    }
    match crate::location::decode_utf8(name, &bytes) {
        Ok(text) => load_str(name, text),
        Err((location, byte)) => LoadReport {
            objects: Vec::new(),
            errors: vec![
                SyntaxError {
                    location,
                    document: 0,
                    message: format!("not valid UTF-8 (byte {byte})"),
                }
                .into(),
            ],
        },
    }
}

/// Loads the objects in `text`, naming it `name` in sources and errors.
///
/// A name ending in `.json` is held to JSON's grammar (errors in JSON's
/// terms); its positions come from reading it as YAML, of which JSON is a
/// subset. Anything else is YAML.
pub fn load_str(name: &str, text: &str) -> LoadReport {
    let mut report = LoadReport::default();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if name.ends_with(".json") {
        match serde_json::from_str::<Json>(text) {
            Err(e) => {
                report.errors.push(
                    SyntaxError {
                        location: Location::new(
                            name,
                            u32::try_from(e.line()).unwrap_or(u32::MAX),
                            u32::try_from(e.column()).unwrap_or(u32::MAX),
                        ),
                        document: 0,
                        message: e.to_string(),
                    }
                    .into(),
                );
            }
            Ok(object) => match yaml::parse_stream(text).as_slice() {
                [Ok(doc)] => add_node(name, 0, None, &doc.root, &mut report),
                // Valid JSON that the YAML reader sees differently: take it
                // without positions inside the document.
                _ => add_node(name, 0, None, &json_node(&object), &mut report),
            },
        }
        return report;
    }
    for doc in yaml::parse_stream(text) {
        match doc {
            Ok(doc) => add_node(name, doc.index, None, &doc.root, &mut report),
            Err(e) => report.errors.push(
                SyntaxError {
                    location: Location::new(name, e.line, e.column),
                    document: e.document,
                    message: e.message,
                }
                .into(),
            ),
        }
    }
    report
}

/// A JSON value as a YAML node positioned at the start of the file: the
/// fallback for valid JSON that the YAML reader reads differently.
fn json_node(value: &Json) -> Node {
    let value = match value {
        Json::Null => yaml::Value::Null,
        Json::Bool(b) => yaml::Value::Bool(*b),
        Json::Number(n) => n
            .as_i64()
            .map(yaml::Value::Int)
            .or_else(|| n.as_f64().map(yaml::Value::Float))
            .unwrap_or(yaml::Value::Null),
        Json::String(s) => yaml::Value::String(s.clone()),
        Json::Array(items) => yaml::Value::Seq(items.iter().map(json_node).collect()),
        Json::Object(map) => yaml::Value::Map(
            map.iter()
                .map(|(k, v)| (json_node(&Json::String(k.clone())), json_node(v)))
                .collect(),
        ),
    };
    Node {
        value,
        line: 1,
        column: 1,
    }
}

/// The kind and `apiVersion` that the items of a typed list (`PodList`, ...)
/// take when they omit their own, as the API server writes such lists.
#[derive(Clone, Copy)]
struct ItemDefaults<'a> {
    kind: &'a str,
    api_version: &'a str,
}

fn add_node(
    name: &str,
    document: usize,
    item: Option<(usize, Option<ItemDefaults<'_>>)>,
    node: &Node,
    report: &mut LoadReport,
) {
    let defaults = item.and_then(|(_, d)| d);
    let item = item.map(|(i, _)| i);
    let location = Location::new(name, node.line, node.column);
    let not_an_object = |message: String| -> ManifestError {
        NotAnObjectError {
            location: location.clone(),
            document,
            message,
        }
        .into()
    };
    if node.entries().is_none() {
        report.errors.push(not_an_object(format!(
            "expected a Kubernetes object (a mapping), found {}",
            node.type_name()
        )));
        return;
    }
    let kind = match node.get("kind").map(|k| (k, k.as_str())) {
        Some((_, Some(kind))) => kind,
        None if defaults.is_some() => defaults.map(|d| d.kind).unwrap_or_default(),
        Some((k, None)) => {
            report.errors.push(not_an_object(format!(
                "`kind` must be a string, found {}",
                k.type_name()
            )));
            return;
        }
        None => {
            report
                .errors
                .push(not_an_object("missing `kind`".to_owned()));
            return;
        }
    };
    let api_version = match (node.get("apiVersion"), defaults) {
        (Some(v), _) => v.as_str(),
        (None, Some(d)) => Some(d.api_version),
        (None, None) => None,
    };
    let Some(api_version) = api_version else {
        report.errors.push(not_an_object(format!(
            "`{kind}` without a string `apiVersion`"
        )));
        return;
    };
    // `metadata` is an `ObjectMeta` (a mapping) for every Kubernetes kind.
    if let Some(metadata) = node.get("metadata")
        && metadata.entries().is_none()
        && !metadata.is_null()
    {
        report.errors.push(
            NotAnObjectError {
                location: Location::new(name, metadata.line, metadata.column),
                document,
                message: format!(
                    "`{kind}` whose `metadata` is {}, not a mapping",
                    metadata.type_name()
                ),
            }
            .into(),
        );
        return;
    }
    if kind.ends_with("List")
        && let Some(items) = node.get("items")
    {
        match items.items() {
            Some(items) => {
                // `List` items name their own kind; a typed list's items may not.
                let defaults =
                    kind.strip_suffix("List")
                        .filter(|k| !k.is_empty())
                        .map(|item_kind| ItemDefaults {
                            kind: item_kind,
                            api_version,
                        });
                for (i, child) in items.iter().enumerate() {
                    add_node(name, document, Some((i, defaults)), child, report);
                }
            }
            None if items.is_null() => {}
            None => report.errors.push(not_an_object(format!(
                "`{kind}` whose `items` is {}, not a sequence",
                items.type_name()
            ))),
        }
        return;
    }
    let mut object = node.to_json();
    if let (Some(d), Some(map)) = (defaults, object.as_object_mut()) {
        map.entry("kind").or_insert_with(|| d.kind.into());
        map.entry("apiVersion")
            .or_insert_with(|| d.api_version.into());
    }
    report.objects.push(Manifest {
        object,
        source: Source {
            file: name.to_owned(),
            document,
            item,
            line: node.line,
            column: node.column,
        },
        positions: Arc::new(Positions::of(node)),
    });
}

/// `metadata.labels` of a Kubernetes object as (key, value) pairs; values
/// that are not strings are skipped.
pub fn labels_of(object: &Json) -> impl Iterator<Item = (&str, &str)> {
    object
        .get("metadata")
        .and_then(|m| m.get("labels"))
        .and_then(Json::as_object)
        .into_iter()
        .flat_map(|labels| labels.iter())
        .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\n  labels:\n    app: web\n";

    #[test]
    fn multi_document_yaml_keeps_lines() {
        let text = format!("{POD}---\n{POD}");
        let report = load_str("pods.yaml", &text);
        assert!(report.is_ok(), "{:?}", report.errors);
        assert_eq!(report.objects.len(), 2);
        assert_eq!(report.objects[0].source.line, 1);
        assert_eq!(report.objects[1].source.line, 9);
        assert_eq!(report.objects[1].source.document, 1);
        let obj = &report.objects[0];
        assert_eq!(obj.object_ref().to_string(), "Pod shop/web");
        assert_eq!(obj.labels().collect::<Vec<_>>(), vec![("app", "web")]);
    }

    #[test]
    fn lists_are_flattened_with_item_lines() {
        let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: a}\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: b}\n";
        let report = load_str("list.yaml", text);
        assert!(report.is_ok());
        let names: Vec<_> = report.objects.iter().map(|o| o.name().unwrap()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(report.objects[1].source.line, 7);
        assert_eq!(report.objects[1].source.item, Some(1));
    }

    #[test]
    fn typed_lists_are_flattened() {
        let text = r#"{"apiVersion": "v1", "kind": "PodList", "items": [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}]}"#;
        let report = load_str("pods.json", text);
        assert!(report.is_ok());
        assert_eq!(report.objects[0].kind(), Some("Pod"));
    }

    #[test]
    fn typed_list_items_without_kind_take_the_lists() {
        let text = "apiVersion: v1\nkind: PodList\nitems:\n- metadata: {name: a}\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: b}\n";
        let report = load_str("pods.yaml", text);
        assert!(report.is_ok(), "{:?}", report.errors);
        let got: Vec<_> = report
            .objects
            .iter()
            .map(|o| {
                (
                    o.api_version().unwrap(),
                    o.kind().unwrap(),
                    o.name().unwrap(),
                )
            })
            .collect();
        assert_eq!(got, [("v1", "Pod", "a"), ("v1", "Pod", "b")]);
        // A plain `List` names every item's kind: an item without one is an error.
        let report = load_str(
            "list.yaml",
            "apiVersion: v1\nkind: List\nitems:\n- metadata: {name: a}\n",
        );
        assert_eq!(report.errors.len(), 1);
        assert_eq!(report.errors[0].message(), "missing `kind`");
    }

    #[test]
    fn documents_that_are_not_objects_are_errors_with_positions() {
        let report = load_str("bad.yaml", &format!("- a\n- b\n---\nkind: Pod\n---\n{POD}"));
        assert_eq!(report.objects.len(), 1);
        assert_eq!(report.errors.len(), 2);
        assert_eq!(
            report.errors[0].location().unwrap().to_string(),
            "bad.yaml:1:1"
        );
        assert!(
            report.errors[1].to_string().contains("apiVersion"),
            "{}",
            report.errors[1]
        );
    }

    #[test]
    fn invalid_utf8_is_reported_with_position() {
        let report = load_reader("bin.yaml", &b"kind: Pod\nname: \xff\n"[..]);
        assert_eq!(report.errors.len(), 1);
        assert_eq!(
            report.errors[0].to_string(),
            "bin.yaml:2:7: not valid UTF-8 (byte 16)"
        );
    }

    #[test]
    fn json_syntax_errors_use_json_positions() {
        let report = load_str("broken.json", "{\n  \"kind\": \"Pod\",\n  oops\n}\n");
        assert_eq!(report.errors.len(), 1);
        let loc = report.errors[0].location().unwrap();
        assert_eq!((loc.line, loc.column), (3, 3));
    }
}
