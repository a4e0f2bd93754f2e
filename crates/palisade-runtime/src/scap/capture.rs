//! The capture reader: opens a plain or gzip-compressed `.scap` stream,
//! reads the section header and the metadata blocks, then hands out event
//! records one at a time ([`Capture::next_event`]) from one reused buffer,
//! so a capture of any size is read in constant memory.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use super::cursor::{Cursor, Endian, Short, u32_from};
use super::error::{ScapError, ScapErrorKind};
use super::event::RawEvent;
use super::event_info::{EventInfo, event_info};
use super::metadata::{self, FDL, IL, MI, MI_INT, Metadata, PL, UL};

/// Section header block type (the same read either way round).
const SHB: u32 = 0x0A0D_0D0A;
/// Section header byte-order magic.
const MAGIC: u32 = 0x1A2B_3C4D;
/// Event block types: v1, pre-release, v2, v2 large.
const EV: [u32; 4] = [0x204, 0x8010_ABCD, 0x216, 0x221];
/// Event-with-flags block types: v1, v2, v2 large.
const EVF: [u32; 3] = [0x208, 0x217, 0x222];
/// Event blocks whose records carry `nparams` in their header (v2).
const EV_V2: [u32; 4] = [0x216, 0x221, 0x217, 0x222];
/// Event blocks that may exceed 64 KiB.
const EV_LARGE: [u32; 2] = [0x221, 0x222];
/// Notification and infrastructure events: old writers set their length 3
/// bytes too long.
const NOTIFICATION_E: u16 = 280;
const INFRASTRUCTURE_EVENT_E: u16 = 286;
/// Container events (`container`, `container` JSON v1 and v2): those at
/// the start of a capture are consumed while libsinsp opens it, never shown.
const CONTAINER_EVENTS: [u16; 3] = [228, 272, 324];
/// libscap's limit for ordinary event blocks.
const MAX_SMALL_EVENT_BLOCK: u32 = 64 * 1024 + 8;

/// Limits that keep a hostile capture from taking unbounded memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest block accepted (metadata and large-payload events), in
    /// bytes. Default 64 MiB: libscap writes process lists of a few MiB on
    /// busy hosts and large payloads of at most a few MiB.
    pub max_block_len: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_block_len: 64 << 20,
        }
    }
}

/// The section header of the current section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SectionHeader {
    /// Format major version.
    pub major: u16,
    /// Format minor version.
    pub minor: u16,
    /// Byte order of the section.
    pub endian: Endian,
}

/// A `.scap` capture being read.
///
/// ```no_run
/// use palisade_runtime::scap::Capture;
///
/// let mut capture = Capture::open("trace.scap").unwrap();
/// while let Some(event) = capture.next_event().unwrap() {
///     if !event.is_internal() {
///         println!("{} {} {}", event.num, event.direction(), event.type_name());
///     }
/// }
/// ```
pub struct Capture<'r> {
    name: String,
    input: Box<dyn BufRead + 'r>,
    decompressed: bool,
    limits: Limits,
    /// Stream offset of the next unread byte.
    pos: u64,
    header: SectionHeader,
    metadata: Metadata,
    /// The current block's body.
    buf: Vec<u8>,
    /// Parameter spans of the current event.
    spans: Vec<(u32, u32)>,
    /// Event records read so far (the last one's `evt.num`).
    num: u64,
    /// Block counts so far.
    blocks: BlockCounts,
    /// Whether every event record so far was a container event.
    leading_containers: bool,
    /// The header of the first event block, read while opening.
    pending: Option<BlockHeader>,
}

/// How many blocks of each kind a capture held so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BlockCounts {
    /// Metadata blocks (section header, machine, process, fd, interface, user lists).
    pub metadata: u64,
    /// Event blocks.
    pub events: u64,
    /// Blocks of unknown types, skipped.
    pub skipped: u64,
    /// Event records of codes this reader does not know, skipped (not counted in `evt.num`).
    pub unknown_events: u64,
}

impl std::fmt::Debug for Capture<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capture")
            .field("name", &self.name)
            .field("pos", &self.pos)
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

/// One block's header.
struct BlockHeader {
    block_type: u32,
    len: u32,
    /// Stream offset of the block.
    offset: u64,
}

impl Capture<'static> {
    /// Opens the capture at `path` (plain or gzip-compressed).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, ScapError> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|e| ScapError {
            file: name.clone(),
            offset: 0,
            decompressed: false,
            kind: ScapErrorKind::Io(e.to_string()),
        })?;
        Self::from_reader(name, file)
    }
}

impl<'r> Capture<'r> {
    /// Reads a capture from `reader` (plain or gzip-compressed, told apart
    /// by the first bytes), naming it `name` in errors.
    pub fn from_reader(name: impl Into<String>, reader: impl Read + 'r) -> Result<Self, ScapError> {
        Self::with_limits(name, reader, Limits::default())
    }

    /// As [`Capture::from_reader`], with explicit limits.
    pub fn with_limits(
        name: impl Into<String>,
        reader: impl Read + 'r,
        limits: Limits,
    ) -> Result<Self, ScapError> {
        let name = name.into();
        let mut buffered = BufReader::with_capacity(64 * 1024, reader);
        let head = buffered.fill_buf().map_err(|e| ScapError {
            file: name.clone(),
            offset: 0,
            decompressed: false,
            kind: ScapErrorKind::Io(e.to_string()),
        })?;
        let gzip = head.starts_with(&[0x1f, 0x8b]);
        let input: Box<dyn BufRead + 'r> = if gzip {
            Box::new(BufReader::with_capacity(
                64 * 1024,
                flate2::bufread::MultiGzDecoder::new(buffered),
            ))
        } else {
            Box::new(buffered)
        };
        let mut capture = Capture {
            name,
            input,
            decompressed: gzip,
            limits,
            pos: 0,
            header: SectionHeader {
                major: 1,
                minor: 0,
                endian: Endian::Little,
            },
            metadata: Metadata::default(),
            buf: Vec::new(),
            spans: Vec::new(),
            num: 0,
            blocks: BlockCounts::default(),
            leading_containers: true,
            pending: None,
        };
        capture.read_first_section()?;
        // The metadata blocks up to the first event block, as libscap
        // reads them when it opens a capture.
        while let Some(h) = capture.read_header()? {
            if EV.contains(&h.block_type) || EVF.contains(&h.block_type) {
                capture.pending = Some(h);
                break;
            }
            capture.metadata_block(&h)?;
        }
        Ok(capture)
    }

    /// The capture's name, as given.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The current section's header.
    pub fn section(&self) -> SectionHeader {
        self.header
    }

    /// What the metadata blocks said: those before the first event block
    /// once opened, and later ones as the events reach them.
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// Block counts so far.
    pub fn block_counts(&self) -> BlockCounts {
        self.blocks
    }

    fn err(&self, offset: u64, kind: ScapErrorKind) -> ScapError {
        ScapError {
            file: self.name.clone(),
            offset,
            decompressed: self.decompressed,
            kind,
        }
    }

    fn located(&self, short: Short) -> ScapError {
        self.err(short.offset, short.kind)
    }

    /// Reads up to `out.len()` bytes; returns how many were read (fewer
    /// only at the end of the input).
    fn read_some(&mut self, out: &mut [u8]) -> Result<usize, ScapError> {
        let mut filled = 0;
        while filled < out.len() {
            let Some(rest) = out.get_mut(filled..) else {
                break;
            };
            match self.input.read(rest) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(
                        self.err(self.pos + filled as u64, ScapErrorKind::Io(e.to_string()))
                    );
                }
            }
        }
        Ok(filled)
    }

    /// Reads the next block header; `None` at a clean end of input.
    fn read_header(&mut self) -> Result<Option<BlockHeader>, ScapError> {
        let offset = self.pos;
        let mut raw = [0u8; 8];
        let n = self.read_some(&mut raw)?;
        if n == 0 {
            return Ok(None);
        }
        if n < raw.len() {
            return Err(self.err(
                offset,
                ScapErrorKind::Truncated {
                    what: "block header",
                    need: 8,
                    have: n as u64,
                },
            ));
        }
        self.pos += 8;
        let [t0, t1, t2, t3, l0, l1, l2, l3] = raw;
        let block_type_le = u32::from_le_bytes([t0, t1, t2, t3]);
        if block_type_le == SHB {
            // The section's byte order is only known from the magic that
            // follows the length.
            let mut magic = [0u8; 4];
            let got = self.read_some(&mut magic)?;
            if got < 4 {
                return Err(self.err(
                    self.pos,
                    ScapErrorKind::Truncated {
                        what: "section header magic",
                        need: 4,
                        have: got as u64,
                    },
                ));
            }
            self.pos += 4;
            self.header.endian = match u32::from_le_bytes(magic) {
                MAGIC => Endian::Little,
                m if m.swap_bytes() == MAGIC => Endian::Big,
                m => return Err(self.err(offset + 8, ScapErrorKind::BadMagic(m))),
            };
        }
        let e = self.header.endian;
        Ok(Some(BlockHeader {
            block_type: u32_from([t0, t1, t2, t3], e),
            len: u32_from([l0, l1, l2, l3], e),
            offset,
        }))
    }

    /// Reads the rest of a block into `self.buf` (body only) and checks its
    /// trailer. `already` bytes after the header were consumed already; the
    /// block must be at least `min` bytes long.
    fn read_body(&mut self, h: &BlockHeader, already: u32, min: u32) -> Result<(), ScapError> {
        if h.len < min {
            return Err(self.err(
                h.offset,
                ScapErrorKind::BlockTooShort {
                    block_type: h.block_type,
                    len: h.len,
                    min,
                },
            ));
        }
        let small = EV.contains(&h.block_type) && !EV_LARGE.contains(&h.block_type)
            || EVF.contains(&h.block_type) && !EV_LARGE.contains(&h.block_type);
        let limit = if small {
            MAX_SMALL_EVENT_BLOCK
        } else {
            self.limits.max_block_len
        };
        if h.len > limit {
            return Err(self.err(
                h.offset,
                ScapErrorKind::BlockTooLong {
                    block_type: h.block_type,
                    len: h.len,
                    limit,
                },
            ));
        }
        let want = u64::from(h.len - 8 - already);
        self.buf.clear();
        // `take` + `read_to_end` grows the buffer with the bytes actually
        // there: a length larger than the input costs no memory.
        let got = (&mut self.input)
            .take(want)
            .read_to_end(&mut self.buf)
            .map_err(|e| self.err(self.pos, ScapErrorKind::Io(e.to_string())))?;
        if (got as u64) < want {
            return Err(self.err(
                self.pos,
                ScapErrorKind::Truncated {
                    what: "block body",
                    need: want,
                    have: got as u64,
                },
            ));
        }
        let body_start = self.pos;
        self.pos += want;
        let body_len = self.buf.len() - 4;
        let trailer_bytes: [u8; 4] = self
            .buf
            .get(body_len..)
            .and_then(|t| t.try_into().ok())
            .unwrap_or([0; 4]);
        let trailer = u32_from(trailer_bytes, self.header.endian);
        if trailer != h.len {
            return Err(self.err(
                body_start + body_len as u64,
                ScapErrorKind::Trailer {
                    block_type: h.block_type,
                    header: h.len,
                    trailer,
                },
            ));
        }
        self.buf.truncate(body_len);
        Ok(())
    }

    /// Reads the first block, which must be a section header.
    fn read_first_section(&mut self) -> Result<(), ScapError> {
        let mut raw = [0u8; 4];
        let n = {
            let (file, decompressed) = (self.name.clone(), self.decompressed);
            let head = self.input.fill_buf().map_err(|e| ScapError {
                file,
                offset: 0,
                decompressed,
                kind: ScapErrorKind::Io(e.to_string()),
            })?;
            let n = head.len().min(4);
            if let (Some(dst), Some(src)) = (raw.get_mut(..n), head.get(..n)) {
                dst.copy_from_slice(src);
            }
            n
        };
        if n == 0 {
            return Err(self.err(0, ScapErrorKind::Empty));
        }
        if n == 4 && u32::from_le_bytes(raw) != SHB {
            return Err(self.err(0, ScapErrorKind::NotACapture(u32::from_le_bytes(raw))));
        }
        match self.read_header()? {
            Some(h) => self.section_header(&h),
            None => Err(self.err(0, ScapErrorKind::Empty)),
        }
    }

    /// Parses a section header block whose header (and magic) was read.
    fn section_header(&mut self, h: &BlockHeader) -> Result<(), ScapError> {
        // Header, magic, version, section length, trailer.
        self.read_body(h, 4, 28)?;
        let mut cur = Cursor::new(&self.buf, self.header.endian, h.offset + 12);
        let parsed = (|| -> Result<(u16, u16), Short> {
            let major = cur.u16("section header")?;
            let minor = cur.u16("section header")?;
            cur.u64("section header")?;
            Ok((major, minor))
        })();
        let (major, minor) = parsed.map_err(|s| self.located(s))?;
        if major > 1 {
            return Err(self.err(h.offset + 12, ScapErrorKind::Version { major, minor }));
        }
        self.header.major = major;
        self.header.minor = minor;
        self.blocks.metadata += 1;
        Ok(())
    }

    /// Parses a metadata block (header read); unknown types are skipped.
    fn metadata_block(&mut self, h: &BlockHeader) -> Result<(), ScapError> {
        if h.block_type == SHB {
            return self.section_header(h);
        }
        self.read_body(h, 0, 12)?;
        let body_offset = h.offset + 8;
        let mut cur = Cursor::new(&self.buf, self.header.endian, body_offset);
        let t = h.block_type;
        let md = &mut self.metadata;
        let result = if t == MI || t == MI_INT {
            metadata::machine_info(&mut cur).map(|m| md.machine = Some(m))
        } else if PL.contains(&t) {
            metadata::process_list(&mut cur, t, &mut md.threads)
        } else if FDL.contains(&t) {
            metadata::fd_list(&mut cur, t, &mut md.fds)
        } else if IL.contains(&t) {
            metadata::interface_list(&mut cur, t, &mut md.interfaces)
        } else if UL.contains(&t) {
            metadata::user_list(&mut cur, t, &mut md.credentials)
        } else {
            self.blocks.skipped += 1;
            return Ok(());
        };
        result.map_err(|s| self.located(s))?;
        self.blocks.metadata += 1;
        Ok(())
    }

    /// The next event record, or `None` at the end of the capture.
    /// Metadata blocks met on the way (a later section's tables) are read
    /// into [`Capture::metadata`].
    pub fn next_event(&mut self) -> Result<Option<RawEvent<'_>>, ScapError> {
        loop {
            let next = match self.pending.take() {
                Some(h) => Some(h),
                None => self.read_header()?,
            };
            let Some(h) = next else {
                return Ok(None);
            };
            let t = h.block_type;
            if !EV.contains(&t) && !EVF.contains(&t) {
                self.metadata_block(&h)?;
                continue;
            }
            self.read_body(&h, 0, 12)?;
            self.blocks.events += 1;
            if let Some((info, code)) = self.event_layout(&h)? {
                self.num += 1;
                let leading = self.leading_containers && CONTAINER_EVENTS.contains(&code);
                self.leading_containers = leading;
                let shown = !leading && !info.is_internal();
                return Ok(Some(self.event(&h, info, shown)));
            }
        }
    }

    /// Checks the event record in `self.buf` and fills `self.spans`;
    /// `None` for a record of an unknown event code (skipped, as libscap
    /// does).
    fn event_layout(
        &mut self,
        h: &BlockHeader,
    ) -> Result<Option<(&'static EventInfo, u16)>, ScapError> {
        let e = self.header.endian;
        let flags_len = if EVF.contains(&h.block_type) { 4 } else { 0 };
        let v2 = EV_V2.contains(&h.block_type);
        let hdr_len: usize = if v2 { 26 } else { 22 };
        let base = h.offset + 8;
        let mut cur = Cursor::new(&self.buf, e, base);
        let num = self.num + 1;
        let head = (|| -> Result<(u32, u16, Option<u32>), Short> {
            cur.u16("event block cpu")?;
            cur.skip(flags_len, "event block flags")?;
            cur.u64("event timestamp")?;
            cur.u64("event thread id")?;
            let len = cur.u32("event length")?;
            let code = cur.u16("event type")?;
            let nparams = if v2 {
                Some(cur.u32("event parameter count")?)
            } else {
                None
            };
            Ok((len, code, nparams))
        })();
        let (mut len, code, nparams) = head.map_err(|s| self.located(s))?;
        let evt_start = 2 + flags_len;
        let avail = self.buf.len() - evt_start;
        let Some(info) = event_info(code) else {
            self.blocks.unknown_events += 1;
            return Ok(None);
        };
        let bad = |this: &Self, message: String| {
            this.err(
                base + evt_start as u64,
                ScapErrorKind::Event { num, code, message },
            )
        };
        self.spans.clear();
        if (len as usize) < hdr_len {
            return Err(bad(
                self,
                format!("length {len} is smaller than the event header ({hdr_len} bytes)"),
            ));
        }
        if len as usize > avail {
            return Err(bad(
                self,
                format!("length {len} is larger than the {avail} bytes in its block"),
            ));
        }
        match nparams {
            Some(nparams) => {
                let width = if info.large_payload() { 4 } else { 2 };
                let lens_end = hdr_len as u64 + u64::from(nparams) * width;
                if lens_end > u64::from(len) {
                    return Err(bad(
                        self,
                        format!("{nparams} parameters do not fit in length {len}"),
                    ));
                }
                let mut at = lens_end as usize;
                let lens = self
                    .buf
                    .get(evt_start + hdr_len..evt_start + lens_end as usize)
                    .unwrap_or(&[]);
                for (i, chunk) in lens.chunks_exact(width as usize).enumerate() {
                    let plen = match chunk {
                        [a, b] => u32::from(super::cursor::u16_from([*a, *b], e)),
                        [a, b, c, d] => u32_from([*a, *b, *c, *d], e),
                        _ => 0,
                    };
                    if plen as usize > len as usize - at {
                        return Err(bad(
                            self,
                            format!("parameter {i} length {plen} runs past the event length {len}"),
                        ));
                    }
                    self.spans.push(((evt_start + at) as u32, plen));
                    at += plen as usize;
                }
            }
            None => {
                // A v1 record has no parameter count: find the count (at
                // most the table's) whose lengths add up to the record's.
                // Old writers set a wrong length on these two (libscap's fix).
                if matches!(code, NOTIFICATION_E | INFRASTRUCTURE_EVENT_E) {
                    len = len.saturating_sub(3);
                }
                let body = self
                    .buf
                    .get(evt_start + hdr_len..evt_start + len as usize)
                    .unwrap_or(&[]);
                let mut found = None;
                for n in (0..=info.params.len()).rev() {
                    let lens_len = n * 2;
                    if lens_len > body.len() {
                        continue;
                    }
                    let total: usize = body
                        .get(..lens_len)
                        .unwrap_or(&[])
                        .chunks_exact(2)
                        .map(|c| usize::from(super::cursor::u16_of(c, e)))
                        .sum();
                    match (lens_len + total).cmp(&body.len()) {
                        std::cmp::Ordering::Equal => {
                            found = Some(n);
                            break;
                        }
                        std::cmp::Ordering::Less => {
                            return Err(bad(
                                self,
                                "its parameter lengths do not add up to its length (v1 record)"
                                    .to_owned(),
                            ));
                        }
                        std::cmp::Ordering::Greater => {}
                    }
                }
                let Some(n) = found else {
                    return Err(bad(
                        self,
                        "no parameter count fits its length (v1 record)".to_owned(),
                    ));
                };
                let mut at = evt_start + hdr_len + n * 2;
                for c in body.get(..n * 2).unwrap_or(&[]).chunks_exact(2) {
                    let plen = usize::from(super::cursor::u16_of(c, e));
                    self.spans.push((at as u32, plen as u32));
                    at += plen;
                }
            }
        }
        Ok(Some((info, code)))
    }

    fn event(&self, h: &BlockHeader, info: &'static EventInfo, shown: bool) -> RawEvent<'_> {
        let e = self.header.endian;
        let flags_len = if EVF.contains(&h.block_type) { 4 } else { 0 };
        let mut cur = Cursor::new(&self.buf, e, h.offset + 8);
        let cpu = cur.u16("").unwrap_or(0);
        let flags = if flags_len == 4 {
            cur.u32("").unwrap_or(0)
        } else {
            0
        };
        let ts = cur.u64("").unwrap_or(0);
        let tid = cur.i64("").unwrap_or(0);
        let _len = cur.u32("");
        let code = cur.u16("").unwrap_or(0);
        RawEvent {
            num: self.num,
            offset: h.offset,
            cpu,
            flags,
            ts,
            tid,
            code,
            info,
            shown,
            endian: e,
            data: &self.buf,
            spans: &self.spans,
        }
    }
}
