//! Program sink: alerts written, one line each, to the standard input of a
//! program run with `sh -c` (Falco's `program_output`), kept running
//! between alerts and restarted once when its input is closed.

use std::io::{BufWriter, Write};
use std::process::{Child, ChildStdin, Command, Stdio};

use super::writer::{LineFormat, write_line};
use super::{Sink, SinkError};
use crate::alerts::Alert;

/// Pipes alerts into a program.
#[derive(Debug)]
pub struct ProgramSink {
    name: String,
    command: String,
    format: LineFormat,
    child: Option<(Child, BufWriter<ChildStdin>)>,
}

impl ProgramSink {
    /// A sink running `command` with `sh -c` when the first alert comes.
    pub fn new(command: impl Into<String>, format: LineFormat) -> ProgramSink {
        let command = command.into();
        ProgramSink {
            name: format!("program:{command}"),
            command,
            format,
            child: None,
        }
    }

    fn io(&self, source: std::io::Error) -> SinkError {
        SinkError::Io {
            sink: self.name.clone(),
            source,
        }
    }

    fn start(&mut self) -> Result<(), SinkError> {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(&self.command)
            .stdin(Stdio::piped())
            .spawn()
            .map_err(|e| self.io(e))?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| self.io(std::io::Error::other("the program has no standard input")))?;
        self.child = Some((child, BufWriter::new(stdin)));
        Ok(())
    }

    fn write(&mut self, alert: &Alert) -> std::io::Result<()> {
        match &mut self.child {
            Some((_, stdin)) => write_line(stdin, alert, self.format),
            None => Err(std::io::Error::other("not started")),
        }
    }

    /// Closes the program's input and waits for it to exit.
    pub fn finish(&mut self) -> Result<(), SinkError> {
        if let Some((mut child, mut stdin)) = self.child.take() {
            let flushed = stdin.flush();
            drop(stdin);
            child.wait().map_err(|e| self.io(e))?;
            flushed.map_err(|e| self.io(e))?;
        }
        Ok(())
    }
}

impl Sink for ProgramSink {
    fn name(&self) -> &str {
        &self.name
    }

    fn deliver(&mut self, alert: &Alert) -> Result<(), SinkError> {
        if self.child.is_none() {
            self.start()?;
        }
        if self.write(alert).is_ok() {
            return Ok(());
        }
        // The program went away: restart it once.
        if let Some((mut child, _)) = self.child.take() {
            let _ = child.wait();
        }
        self.start()?;
        self.write(alert).map_err(|e| self.io(e))
    }

    fn flush(&mut self) -> Result<(), SinkError> {
        let result = match &mut self.child {
            Some((_, stdin)) => stdin.flush(),
            None => Ok(()),
        };
        result.map_err(|e| self.io(e))
    }
}

impl Drop for ProgramSink {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}
