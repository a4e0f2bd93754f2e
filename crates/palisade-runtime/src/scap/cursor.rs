//! Bounded, endian-aware reading of one block's bytes: every read checks
//! what is left and reports the offset where it fell short.

use super::error::ScapErrorKind;

/// The byte order of a section (its section header's magic decides).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Endian {
    /// Least significant byte first (what Falco and sysdig write on x86 and arm64).
    #[default]
    Little,
    /// Most significant byte first.
    Big,
}

/// A failed read: where, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Short {
    /// Offset (from the start of the stream) of the failed read.
    pub offset: u64,
    /// Why.
    pub kind: ScapErrorKind,
}

/// A position in a block's bytes.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    endian: Endian,
    /// Stream offset of `bytes[0]`.
    base: u64,
}

impl<'a> Cursor<'a> {
    /// Reads `bytes`, which start at stream offset `base`.
    pub fn new(bytes: &'a [u8], endian: Endian, base: u64) -> Self {
        Self {
            bytes,
            pos: 0,
            endian,
            base,
        }
    }

    /// Stream offset of the next byte.
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.pos)
    }

    /// Bytes consumed so far.
    pub fn consumed(&self) -> usize {
        self.pos
    }

    /// An error at the current offset.
    pub fn error(&self, kind: ScapErrorKind) -> Short {
        Short {
            offset: self.offset(),
            kind,
        }
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], Short> {
        let end = self.pos.checked_add(n);
        match end.and_then(|end| self.bytes.get(self.pos..end)) {
            Some(slice) => {
                self.pos += n;
                Ok(slice)
            }
            None => Err(self.error(ScapErrorKind::Truncated {
                what,
                need: n as u64,
                have: self.remaining() as u64,
            })),
        }
    }

    /// Skips `n` bytes.
    pub fn skip(&mut self, n: usize, what: &'static str) -> Result<(), Short> {
        self.take(n, what).map(|_| ())
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], Short> {
        let bytes = self.take(N, what)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    /// One byte.
    pub fn u8(&mut self, what: &'static str) -> Result<u8, Short> {
        Ok(self.array::<1>(what)?[0])
    }

    /// A 16-bit unsigned integer.
    pub fn u16(&mut self, what: &'static str) -> Result<u16, Short> {
        let b = self.array(what)?;
        Ok(match self.endian {
            Endian::Little => u16::from_le_bytes(b),
            Endian::Big => u16::from_be_bytes(b),
        })
    }

    /// A 32-bit unsigned integer.
    pub fn u32(&mut self, what: &'static str) -> Result<u32, Short> {
        let b = self.array(what)?;
        Ok(match self.endian {
            Endian::Little => u32::from_le_bytes(b),
            Endian::Big => u32::from_be_bytes(b),
        })
    }

    /// A 64-bit unsigned integer.
    pub fn u64(&mut self, what: &'static str) -> Result<u64, Short> {
        let b = self.array(what)?;
        Ok(match self.endian {
            Endian::Little => u64::from_le_bytes(b),
            Endian::Big => u64::from_be_bytes(b),
        })
    }

    /// A 64-bit signed integer.
    pub fn i64(&mut self, what: &'static str) -> Result<i64, Short> {
        self.u64(what).map(|v| v as i64)
    }

    /// A string with a 16-bit length before it (not NUL-terminated on
    /// file), at most `max` bytes.
    pub fn str16(&mut self, what: &'static str, max: usize) -> Result<&'a [u8], Short> {
        let at = self.offset();
        let len = usize::from(self.u16(what)?);
        if len > max {
            return Err(Short {
                offset: at,
                kind: ScapErrorKind::Metadata {
                    block: what,
                    message: format!("length {len} is more than the format's maximum {max}"),
                },
            });
        }
        self.take(len, what)
    }
}

/// Reads a 16-bit integer from two bytes.
pub(crate) fn u16_from(bytes: [u8; 2], endian: Endian) -> u16 {
    match endian {
        Endian::Little => u16::from_le_bytes(bytes),
        Endian::Big => u16::from_be_bytes(bytes),
    }
}

/// Reads a 32-bit integer from four bytes.
pub(crate) fn u32_from(bytes: [u8; 4], endian: Endian) -> u32 {
    match endian {
        Endian::Little => u32::from_le_bytes(bytes),
        Endian::Big => u32::from_be_bytes(bytes),
    }
}

/// A 16-bit integer from the first two bytes of `bytes` (missing bytes
/// read as zero).
pub(crate) fn u16_of(bytes: &[u8], endian: Endian) -> u16 {
    let b = |i: usize| bytes.get(i).copied().unwrap_or(0);
    u16_from([b(0), b(1)], endian)
}
