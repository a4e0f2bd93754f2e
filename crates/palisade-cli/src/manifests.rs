//! `palisade manifests`: list the Kubernetes objects found, proving the
//! loader end to end.

use palisade::manifest::{self, LoadReport, Manifest, ManifestError};
use serde::Serialize;

use crate::args::ManifestsArgs;
use crate::exit::Exit;
use crate::output::{Output, Style};

/// One object in JSON output.
#[derive(Serialize)]
struct ObjectRow<'a> {
    kind: &'a str,
    #[serde(rename = "apiVersion")]
    api_version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<&'a str>,
    name: &'a str,
    file: &'a str,
    document: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    item: Option<usize>,
    line: u32,
    column: u32,
}

/// One error in JSON output.
#[derive(Serialize)]
pub struct ErrorRow<'a> {
    file: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<u32>,
    message: String,
}

impl<'a> ErrorRow<'a> {
    /// The JSON form of a loader error.
    pub fn new(error: &'a ManifestError) -> ErrorRow<'a> {
        ErrorRow {
            file: error.file(),
            line: error.location().map(|l| l.line),
            column: error.location().map(|l| l.column),
            message: error.message().to_owned(),
        }
    }
}

/// Runs `palisade manifests`.
pub fn run(out: &Output, args: &ManifestsArgs) -> Exit {
    let report = manifest::load_paths(&args.paths);
    print_report(out, &report);
    if report.is_ok() {
        Exit::Ok
    } else {
        Exit::InputError
    }
}

/// Prints what a load found, in the chosen format; errors go to stderr in text mode.
pub fn print_report(out: &Output, report: &LoadReport) {
    if out.json() {
        #[derive(Serialize)]
        struct Doc<'a> {
            objects: Vec<ObjectRow<'a>>,
            errors: Vec<ErrorRow<'a>>,
        }
        out.print_json(&Doc {
            objects: report.objects.iter().map(row).collect(),
            errors: report.errors.iter().map(ErrorRow::new).collect(),
        });
        return;
    }
    let rows: Vec<[String; 3]> = report
        .objects
        .iter()
        .map(|m| {
            let r = row(m);
            let name = match r.namespace {
                Some(ns) => format!("{ns}/{}", r.name),
                None => r.name.to_owned(),
            };
            [r.kind.to_owned(), name, format!("{}:{}", r.file, r.line)]
        })
        .collect();
    let kind_width = rows.iter().map(|r| r[0].len()).max().unwrap_or(0).max(4);
    let name_width = rows.iter().map(|r| r[1].len()).max().unwrap_or(0).max(4);
    if !rows.is_empty() {
        out.line(&out.paint(
            Style::Bold,
            &format!("{:kind_width$}  {:name_width$}  SOURCE", "KIND", "NAME"),
        ));
    }
    for [kind, name, source] in &rows {
        out.line(&format!(
            "{kind:kind_width$}  {name:name_width$}  {}",
            out.paint(Style::Dim, source)
        ));
    }
    for error in &report.errors {
        out.error(&error.to_string());
    }
    out.note(&format!(
        "{} object{}, {} error{}",
        report.objects.len(),
        plural(report.objects.len()),
        report.errors.len(),
        plural(report.errors.len())
    ));
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn row(m: &Manifest) -> ObjectRow<'_> {
    ObjectRow {
        kind: m.kind().unwrap_or_default(),
        api_version: m.api_version().unwrap_or_default(),
        namespace: m.namespace(),
        name: m.name().unwrap_or_default(),
        file: &m.source.file,
        document: m.source.document,
        item: m.source.item,
        line: m.source.line,
        column: m.source.column,
    }
}
