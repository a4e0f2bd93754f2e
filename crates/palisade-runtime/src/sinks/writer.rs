//! Sinks that write lines: stdout, an append-only file, or any writer.

use std::fs::OpenOptions;
use std::io::{BufWriter, Write};
use std::path::Path;

use super::{Sink, SinkError};
use crate::alerts::Alert;

/// How alerts are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LineFormat {
    /// The rendered output line, as Falco prints it.
    #[default]
    Text,
    /// One JSON object per line, in Falco's shape.
    Json,
}

/// Writes one line per alert to a writer.
pub struct WriterSink<W: Write + Send> {
    name: String,
    format: LineFormat,
    out: W,
}

impl<W: Write + Send> std::fmt::Debug for WriterSink<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriterSink")
            .field("name", &self.name)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

impl<W: Write + Send> WriterSink<W> {
    /// A sink named `name` writing to `out`.
    pub fn new(name: impl Into<String>, out: W, format: LineFormat) -> WriterSink<W> {
        WriterSink {
            name: name.into(),
            format,
            out,
        }
    }

    /// The writer back.
    pub fn into_inner(self) -> W {
        self.out
    }

    fn io(&self, source: std::io::Error) -> SinkError {
        SinkError::Io {
            sink: self.name.clone(),
            source,
        }
    }
}

/// Writes `alert` as one line in `format`.
pub fn write_line(out: &mut dyn Write, alert: &Alert, format: LineFormat) -> std::io::Result<()> {
    match format {
        LineFormat::Text => {
            out.write_all(alert.output.as_bytes())?;
        }
        LineFormat::Json => alert.write_json(out)?,
    }
    out.write_all(b"\n")
}

impl<W: Write + Send> Sink for WriterSink<W> {
    fn name(&self) -> &str {
        &self.name
    }

    fn deliver(&mut self, alert: &Alert) -> Result<(), SinkError> {
        write_line(&mut self.out, alert, self.format).map_err(|e| self.io(e))
    }

    fn flush(&mut self) -> Result<(), SinkError> {
        self.out.flush().map_err(|e| self.io(e))
    }
}

/// Alerts on standard output.
pub fn stdout(format: LineFormat) -> WriterSink<BufWriter<std::io::Stdout>> {
    WriterSink::new("stdout", BufWriter::new(std::io::stdout()), format)
}

/// Alerts appended to the file at `path` (created when missing; existing
/// lines are never rewritten).
pub fn file(
    path: &Path,
    format: LineFormat,
) -> Result<WriterSink<BufWriter<std::fs::File>>, SinkError> {
    let name = format!("file:{}", path.display());
    let f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|source| SinkError::Io {
            sink: name.clone(),
            source,
        })?;
    Ok(WriterSink::new(name, BufWriter::new(f), format))
}
