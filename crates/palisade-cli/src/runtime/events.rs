//! `palisade runtime events`: the events of a `.scap` capture, decoded
//! natively, one per line: JSON objects with the field names and value
//! forms of `sysdig -j` (and of the corpus's `<capture>.events.jsonl`), or
//! the values separated by blanks.

use std::path::PathBuf;

use clap::Args;
use palisade::runtime::scap::{CaptureEvents, FIELDS};

use crate::exit::Exit;
use crate::output::Output;

/// Arguments of `palisade runtime events`.
#[derive(Debug, Args)]
pub struct EventsArgs {
    /// The capture (`sysdig -w`, Falco), plain or gzip-compressed.
    #[arg(value_name = "FILE.scap")]
    pub capture: PathBuf,
    /// Only these fields, in this order (default: every field the reader
    /// derives; `palisade runtime events --help` lists them).
    #[arg(long, value_name = "FIELD", value_delimiter = ',', num_args = 1..)]
    pub fields: Vec<String>,
}

/// Prints the events of the capture.
pub fn run(out: &Output, args: &EventsArgs) -> Exit {
    let fields: Vec<&str> = if args.fields.is_empty() {
        FIELDS.to_vec()
    } else {
        let mut chosen = Vec::new();
        for f in &args.fields {
            let Some(&known) = FIELDS.iter().find(|k| **k == f.as_str()) else {
                out.error(&format!(
                    "`{f}` is not a field the capture reader derives; it derives: {}",
                    FIELDS.join(", ")
                ));
                return Exit::InputError;
            };
            chosen.push(known);
        }
        chosen
    };
    let Some(mut events) = out.checked(CaptureEvents::open(&args.capture)) else {
        return Exit::InputError;
    };
    // `--format json` (global): one JSON object per line, `null` for
    // absent values; otherwise the values, `<NA>` for absent ones.
    let json = out.json();
    loop {
        let object = match events.next_object() {
            Ok(Some(object)) => object,
            Ok(None) => return Exit::Ok,
            Err(e) => {
                out.error(&e.to_string());
                return Exit::InputError;
            }
        };
        let values = fields
            .iter()
            .map(|f| (*f, object.get(*f).unwrap_or(&serde_json::Value::Null)));
        let line = if json {
            let members: Vec<String> = values
                .map(|(f, v)| format!("{}:{v}", serde_json::Value::from(f)))
                .collect();
            format!("{{{}}}", members.join(","))
        } else {
            values
                .map(|(_, v)| match v {
                    serde_json::Value::Null => "<NA>".to_owned(),
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(" ")
        };
        out.line(&line);
    }
}
