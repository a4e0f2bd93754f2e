//! Errors of the `.scap` reader: every one names the capture and the byte
//! offset of the block (and of the field inside it) where reading failed.

use miette::Diagnostic;
use thiserror::Error;

/// A capture could not be read.
#[derive(Debug, Error, Diagnostic)]
#[error("{file}: {}", self.located())]
#[diagnostic(help(
    "the capture is truncated or corrupt; libscap (sysdig, Falco) would refuse it too"
))]
pub struct ScapError {
    /// The capture's name (its path, as given).
    pub file: String,
    /// Byte offset of the failure, in the decompressed stream when the
    /// capture is gzip-compressed.
    pub offset: u64,
    /// Whether the offset counts decompressed bytes.
    pub decompressed: bool,
    /// What went wrong.
    pub kind: ScapErrorKind,
}

impl ScapError {
    /// The error without the capture's name: `byte N: what` (`byte N of
    /// the decompressed stream: what` for a gzip-compressed capture).
    pub fn located(&self) -> String {
        let stream = if self.decompressed {
            " of the decompressed stream"
        } else {
            ""
        };
        format!("byte {}{stream}: {}", self.offset, self.kind)
    }
}

/// What went wrong, without the location.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScapErrorKind {
    /// Reading the underlying file or gzip stream failed.
    #[error("read error: {0}")]
    Io(String),
    /// The input is empty.
    #[error("empty input: a capture starts with a section header block")]
    Empty,
    /// The first block is not a section header.
    #[error(
        "not a scap capture: expected the section header block type 0x0a0d0d0a, found {0:#010x}"
    )]
    NotACapture(u32),
    /// The section header's byte-order magic is neither value.
    #[error("bad byte-order magic {0:#010x} in the section header (expected 0x1a2b3c4d)")]
    BadMagic(u32),
    /// The capture's format version is newer than this reader.
    #[error("capture format version {major}.{minor} is newer than this reader (1.x)")]
    Version {
        /// Major version.
        major: u16,
        /// Minor version.
        minor: u16,
    },
    /// The input ends inside a block or field.
    #[error("truncated: {what} needs {need} bytes, {have} left")]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Bytes needed.
        need: u64,
        /// Bytes available.
        have: u64,
    },
    /// A block declares a length too short for its own header and trailer.
    #[error("block type {block_type:#x} declares length {len}, shorter than its minimum {min}")]
    BlockTooShort {
        /// The block type.
        block_type: u32,
        /// The declared length.
        len: u32,
        /// The minimum length.
        min: u32,
    },
    /// A block is larger than the reader's limit.
    #[error(
        "block type {block_type:#x} declares length {len}, more than the limit of {limit} bytes"
    )]
    BlockTooLong {
        /// The block type.
        block_type: u32,
        /// The declared length.
        len: u32,
        /// The limit ([`super::Limits::max_block_len`]).
        limit: u32,
    },
    /// The length in a block's trailer differs from its header's.
    #[error(
        "block type {block_type:#x}: trailer length {trailer} differs from header length {header}"
    )]
    Trailer {
        /// The block type.
        block_type: u32,
        /// Length in the header.
        header: u32,
        /// Length in the trailer.
        trailer: u32,
    },
    /// An entry of a metadata block (process, fd, interface, user list) is
    /// malformed.
    #[error("{block}: {message}")]
    Metadata {
        /// The block's name.
        block: &'static str,
        /// What is wrong.
        message: String,
    },
    /// An event record is malformed.
    #[error("event {num} (type {code}): {message}")]
    Event {
        /// The event's number (`evt.num`).
        num: u64,
        /// The event's type code.
        code: u16,
        /// What is wrong.
        message: String,
    },
    /// A field of a shown event does not fit the schema it is read with
    /// (a schema without the Falco fields).
    #[error("event {num}: field `{key}`: {message}")]
    Field {
        /// The event's number (`evt.num`).
        num: u64,
        /// The field.
        key: String,
        /// What is wrong.
        message: String,
    },
}
