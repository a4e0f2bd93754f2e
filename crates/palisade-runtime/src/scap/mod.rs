//! `.scap` captures (sysdig, Falco): read natively, without libscap.
//!
//! A capture is a pcapng-like stream of blocks: a section header (its
//! magic gives the byte order), metadata blocks (machine info, the process
//! list, each process's file descriptors, network interfaces, users and
//! groups), then event blocks, each holding one event record (timestamp,
//! thread, type, parameters). Files are often gzip-compressed; both forms
//! are read, told apart by their first bytes.
//!
//! - [`Capture`] reads a stream block by block, in constant memory, and
//!   hands out [`RawEvent`]s numbered as libsinsp numbers them (`evt.num`);
//! - [`event_info`](event_info::event_info) describes every event type
//!   (generated from falcosecurity/libs' event table);
//! - [`metadata`] holds what the metadata blocks said;
//! - [`threads`] is the thread table libsinsp keeps (the first part of
//!   its state);
//! - [`fields`] gives the Falco fields of each shown event, and
//!   [`events`] the shown events as [`FlatEvent`](crate::event::FlatEvent)s
//!   rules run on ([`CaptureEvents`]; [`is_capture`] tells a capture from
//!   JSON lines).
//!
//! Every failure is a [`ScapError`] naming the capture and the byte offset.
//! Block lengths are checked before anything is allocated, and a block
//! larger than [`Limits::max_block_len`] is refused.

mod capture;
pub mod containers;
mod cursor;
mod errno;
mod error;
mod event;
pub mod event_info;
pub mod events;
pub mod fds;
pub mod fields;
pub mod metadata;
pub mod threads;

pub use capture::{BlockCounts, Capture, Limits, SectionHeader};
pub use cursor::Endian;
pub use errno::errno_name;
pub use error::{ScapError, ScapErrorKind};
pub use event::{Param, ParamValue, RawEvent, SockAddr};
pub use events::{CaptureEvents, is_capture};
pub use fields::{CaptureState, FIELDS};
