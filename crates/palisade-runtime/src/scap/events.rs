//! A capture's shown events as the events rules run on: the reader, the
//! state it keeps ([`CaptureState`]) and the fields of each shown event
//! ([`CaptureState::fields`]), turned into [`FlatEvents`] in batches, so
//! that a capture of any size is replayed in bounded memory.

use std::io::Read;
use std::path::Path;

use serde_json::{Map, Value};

use super::capture::Capture;
use super::error::{ScapError, ScapErrorKind};
use super::fields::CaptureState;
use crate::event::{FlatEvent, FlatEvents, FlatEventsBuilder};
use crate::fields::Schema;

/// Events per batch handed to [`CaptureEvents::for_each`].
const BATCH: usize = 1024;

/// Whether `head` (a file's first bytes) starts a capture: gzip, or the
/// section header block type in either byte order. Everything else is
/// taken for JSON lines.
pub fn is_capture(head: &[u8]) -> bool {
    head.starts_with(&[0x1f, 0x8b]) || head.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a])
}

/// The shown events of a capture, with their fields.
#[derive(Debug)]
pub struct CaptureEvents<'r> {
    capture: Capture<'r>,
    state: CaptureState,
}

impl CaptureEvents<'static> {
    /// Opens the capture at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, ScapError> {
        Ok(Self::new(Capture::open(path)?))
    }
}

impl<'r> CaptureEvents<'r> {
    /// The events of `capture`, from its next event on.
    pub fn new(capture: Capture<'r>) -> Self {
        let state = CaptureState::from_metadata(capture.metadata());
        Self { capture, state }
    }

    /// Reads a capture from `reader`, naming it `name` in errors.
    pub fn from_reader(name: impl Into<String>, reader: impl Read + 'r) -> Result<Self, ScapError> {
        Ok(Self::new(Capture::from_reader(name, reader)?))
    }

    /// The next shown event's fields (`evt.num` first), or `None` at the
    /// end of the capture.
    pub fn next_object(&mut self) -> Result<Option<Map<String, Value>>, ScapError> {
        while let Some(event) = self.capture.next_event()? {
            self.state.update(&event);
            if event.shown {
                return Ok(Some(self.state.fields(&event)));
            }
        }
        Ok(None)
    }

    /// Hands every shown event, as a [`FlatEvent`] of `schema`, to `each`,
    /// reading the capture in batches.
    pub fn for_each(
        &mut self,
        schema: &Schema,
        each: &mut dyn FnMut(&FlatEvent),
    ) -> Result<(), ScapError> {
        loop {
            let mut builder = FlatEventsBuilder::new(schema);
            while builder.len() < BATCH {
                let Some(object) = self.next_object()? else {
                    break;
                };
                self.push(&mut builder, object)?;
            }
            if builder.is_empty() {
                return Ok(());
            }
            for event in builder.finish().events() {
                each(event);
            }
        }
    }

    /// Every shown event, as [`FlatEvents`] of `schema` (the whole capture
    /// in memory: for replays of any size, [`CaptureEvents::for_each`]).
    pub fn read_all(mut self, schema: &Schema) -> Result<FlatEvents, ScapError> {
        let mut builder = FlatEventsBuilder::new(schema);
        while let Some(object) = self.next_object()? {
            self.push(&mut builder, object)?;
        }
        Ok(builder.finish())
    }

    fn push(
        &self,
        builder: &mut FlatEventsBuilder<'_>,
        object: Map<String, Value>,
    ) -> Result<(), ScapError> {
        let num = object.get("evt.num").and_then(Value::as_u64).unwrap_or(0);
        let line = usize::try_from(num).unwrap_or(usize::MAX);
        builder
            .push(object, line)
            .map_err(|(key, message)| ScapError {
                file: self.capture.name().to_owned(),
                offset: 0,
                decompressed: false,
                kind: ScapErrorKind::Field { num, key, message },
            })
    }
}
