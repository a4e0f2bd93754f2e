//! One event record of a capture ([`RawEvent`]): its header, its type's
//! description, and its parameters as bytes ([`Param`]), decoded on demand
//! into a [`ParamValue`] by the parameter's type.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::cursor::{Endian, u16_from, u32_from};
use super::event_info::{EventInfo, GENERIC_E, GENERIC_X, ParamInfo, ParamType, syscall_name};

/// One event record, borrowed from the reader's buffer until the next read.
#[derive(Debug, Clone, Copy)]
pub struct RawEvent<'a> {
    /// Its number: 1 for the first event record of the capture, counting
    /// every record libscap returns (internal ones included), as `evt.num`.
    pub num: u64,
    /// Stream offset of its block.
    pub offset: u64,
    /// The CPU that recorded it.
    pub cpu: u16,
    /// The block's flags (0 for blocks without flags).
    pub flags: u32,
    /// Timestamp, nanoseconds since the epoch.
    pub ts: u64,
    /// The thread it happened on.
    pub tid: i64,
    /// Its type code.
    pub code: u16,
    /// Its type's description.
    pub info: &'static EventInfo,
    /// Whether libsinsp shows it: not an internal event (process snapshots,
    /// drops), and not one of the container events at the very start of
    /// the capture, which libsinsp consumes while opening it.
    pub shown: bool,
    pub(crate) endian: Endian,
    /// The parameter bytes, back to back.
    pub(crate) data: &'a [u8],
    /// `(start, len)` of each parameter in `data`.
    pub(crate) spans: &'a [(u32, u32)],
}

impl<'a> RawEvent<'a> {
    /// Its type name, as `evt.type` shows it: the system call's name for
    /// generic events (`<unknown>` when the capture's code is not known).
    pub fn type_name(&self) -> &'static str {
        if self.code == GENERIC_E || self.code == GENERIC_X {
            let id = self.param(0).and_then(|p| p.value().as_u64());
            return id
                .and_then(|id| u16::try_from(id).ok())
                .and_then(syscall_name)
                .unwrap_or("<unknown>");
        }
        self.info.name
    }

    /// `>` for an enter event, `<` for an exit event.
    pub fn direction(&self) -> char {
        super::event_info::direction(self.code)
    }

    /// `evt.rawres`: an exit event's result (its first parameter), when it
    /// has one; generic events carry none.
    pub fn rawres(&self) -> Option<i64> {
        if self.direction() != '<' || self.code == GENERIC_X {
            return None;
        }
        self.param(0)?.value().as_i64()
    }

    /// `evt.res`: `SUCCESS` for a result of zero or more, otherwise the
    /// error's name (`ENOENT`), or its number when the name is unknown.
    pub fn res(&self) -> Option<std::borrow::Cow<'static, str>> {
        let raw = self.rawres()?;
        Some(if raw >= 0 {
            "SUCCESS".into()
        } else {
            super::errno::errno_name(-raw).map_or_else(|| raw.to_string().into(), Into::into)
        })
    }

    /// Whether this is an internal event, which libsinsp consumes and never
    /// shows (process snapshots, container metadata).
    pub fn is_internal(&self) -> bool {
        self.info.is_internal()
    }

    /// The number of parameters this record holds (older writers wrote
    /// fewer than the table lists).
    pub fn param_count(&self) -> usize {
        self.spans.len()
    }

    /// Parameter `i`, when the record holds it.
    pub fn param(&self, i: usize) -> Option<Param<'a>> {
        let &(start, len) = self.spans.get(i)?;
        let bytes = self
            .data
            .get(start as usize..(start as usize).checked_add(len as usize)?)?;
        let info = self.info.params.get(i);
        Some(Param {
            info,
            bytes,
            endian: self.endian,
        })
    }

    /// The parameter named `name`, when the record holds it.
    pub fn param_named(&self, name: &str) -> Option<Param<'a>> {
        let i = self.info.params.iter().position(|p| p.name == name)?;
        self.param(i)
    }

    /// Every parameter the record holds, in order.
    pub fn params(&self) -> impl Iterator<Item = Param<'a>> + '_ {
        (0..self.spans.len()).filter_map(move |i| self.param(i))
    }
}

/// One parameter of an event record.
#[derive(Debug, Clone, Copy)]
pub struct Param<'a> {
    /// Its description (`None` for a parameter beyond the table's).
    pub info: Option<&'static ParamInfo>,
    /// Its bytes.
    pub bytes: &'a [u8],
    endian: Endian,
}

/// A decoded parameter value.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum ParamValue<'a> {
    /// An empty parameter (the writer had no value).
    Empty,
    /// A signed integer (also fds, pids, errno results).
    Int(i64),
    /// An unsigned integer (also flags, modes, uids).
    UInt(u64),
    /// A floating point number.
    Double(f64),
    /// A string (trailing NUL removed).
    Str(&'a [u8]),
    /// Raw bytes.
    Bytes(&'a [u8]),
    /// A socket address.
    SockAddr(SockAddr<'a>),
    /// A socket tuple (source, destination).
    SockTuple(SockAddr<'a>, SockAddr<'a>),
    /// An IP address.
    Ip(IpAddr),
    /// Bytes that do not have the size the type needs.
    Malformed(&'a [u8]),
}

/// A socket address inside a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SockAddr<'a> {
    /// An IPv4 or IPv6 address and port.
    Ip(IpAddr, u16),
    /// A Unix socket: kernel address, and path.
    Unix(u64, &'a [u8]),
    /// Another family: its code.
    Other(u8),
}

/// The socket families the format writes (`PPM_AF_*`).
const AF_UNIX: u8 = 1;
const AF_INET: u8 = 2;
const AF_INET6: u8 = 10;

impl ParamValue<'_> {
    /// The value as an unsigned integer, when it is an integer.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            ParamValue::UInt(v) => Some(v),
            ParamValue::Int(v) => Some(v as u64),
            _ => None,
        }
    }

    /// The value as a signed integer, when it is an integer.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            ParamValue::Int(v) => Some(v),
            ParamValue::UInt(v) => Some(v as i64),
            _ => None,
        }
    }
}

impl<'a> Param<'a> {
    /// The parameter's type (`Bytebuf` for one beyond the table).
    pub fn kind(&self) -> ParamType {
        self.info.map_or(ParamType::Bytebuf, |i| i.kind)
    }

    /// The value, decoded by the parameter's type.
    pub fn value(&self) -> ParamValue<'a> {
        let b = self.bytes;
        if b.is_empty() {
            return ParamValue::Empty;
        }
        let e = self.endian;
        let int = |n: usize, signed: bool| -> ParamValue<'a> {
            match (n, b.len() == n) {
                (_, false) => ParamValue::Malformed(b),
                (1, _) => {
                    let v = b.first().copied().unwrap_or(0);
                    if signed {
                        ParamValue::Int(i64::from(v as i8))
                    } else {
                        ParamValue::UInt(u64::from(v))
                    }
                }
                (2, _) => {
                    let v = u16_from(
                        [
                            b.first().copied().unwrap_or(0),
                            b.get(1).copied().unwrap_or(0),
                        ],
                        e,
                    );
                    if signed {
                        ParamValue::Int(i64::from(v as i16))
                    } else {
                        ParamValue::UInt(u64::from(v))
                    }
                }
                (4, _) => {
                    let v = u32_from(array4(b), e);
                    if signed {
                        ParamValue::Int(i64::from(v as i32))
                    } else {
                        ParamValue::UInt(u64::from(v))
                    }
                }
                _ => {
                    let v = u64_from(b, e);
                    if signed {
                        ParamValue::Int(v as i64)
                    } else {
                        ParamValue::UInt(v)
                    }
                }
            }
        };
        use ParamType as T;
        match self.kind() {
            T::Int8 => int(1, true),
            T::Int16 => int(2, true),
            T::Int32 | T::Fd32 | T::Pid32 => int(4, true),
            T::Int64 | T::Errno | T::Fd | T::Pid => int(8, true),
            T::Uint8 | T::Sigtype | T::L4proto | T::Sockfamily | T::Flags8 | T::Enumflags8 => {
                int(1, false)
            }
            T::Uint16 | T::Port | T::Syscallid | T::Flags16 | T::Enumflags16 => int(2, false),
            T::Uint32
            | T::Bool
            | T::Flags32
            | T::Uid
            | T::Gid
            | T::Sigset
            | T::Mode
            | T::Enumflags32 => int(4, false),
            T::Uint64 | T::Reltime | T::Abstime => int(8, false),
            T::Double => match b.len() {
                8 => ParamValue::Double(f64::from_bits(u64_from(b, e))),
                _ => ParamValue::Malformed(b),
            },
            T::Charbuf | T::Fspath | T::Fsrelpath => {
                let end = memchr::memchr(0, b).unwrap_or(b.len());
                ParamValue::Str(b.get(..end).unwrap_or(b))
            }
            T::Ipv4addr => match b.len() {
                4 => ParamValue::Ip(IpAddr::V4(Ipv4Addr::from(array4(b)))),
                _ => ParamValue::Malformed(b),
            },
            T::Ipv6addr => match <[u8; 16]>::try_from(b) {
                Ok(a) => ParamValue::Ip(IpAddr::V6(Ipv6Addr::from(a))),
                Err(_) => ParamValue::Malformed(b),
            },
            T::Ipaddr => match b.len() {
                4 => ParamValue::Ip(IpAddr::V4(Ipv4Addr::from(array4(b)))),
                16 => match <[u8; 16]>::try_from(b) {
                    Ok(a) => ParamValue::Ip(IpAddr::V6(Ipv6Addr::from(a))),
                    Err(_) => ParamValue::Malformed(b),
                },
                _ => ParamValue::Malformed(b),
            },
            T::Sockaddr => match sockaddr(b, e) {
                Some(a) => ParamValue::SockAddr(a),
                None => ParamValue::Malformed(b),
            },
            T::Socktuple => match socktuple(b, e) {
                Some((s, d)) => ParamValue::SockTuple(s, d),
                None => ParamValue::Malformed(b),
            },
            _ => ParamValue::Bytes(b),
        }
    }
}

fn array4(b: &[u8]) -> [u8; 4] {
    let mut a = [0u8; 4];
    for (d, s) in a.iter_mut().zip(b) {
        *d = *s;
    }
    a
}

fn u64_from(b: &[u8], e: Endian) -> u64 {
    let mut a = [0u8; 8];
    for (d, s) in a.iter_mut().zip(b) {
        *d = *s;
    }
    match e {
        Endian::Little => u64::from_le_bytes(a),
        Endian::Big => u64::from_be_bytes(a),
    }
}

/// Ports are stored in host order; addresses as they are in memory
/// (network order).
fn port(b: &[u8], e: Endian) -> Option<u16> {
    Some(u16_from([*b.first()?, *b.get(1)?], e))
}

/// A socket address: family byte, then for IPv4 address + port, for IPv6
/// address + port, for Unix the path.
fn sockaddr(b: &[u8], e: Endian) -> Option<SockAddr<'_>> {
    let family = *b.first()?;
    let rest = b.get(1..)?;
    match family {
        AF_INET => {
            let ip = Ipv4Addr::from(array4(rest.get(..4)?));
            Some(SockAddr::Ip(IpAddr::V4(ip), port(rest.get(4..6)?, e)?))
        }
        AF_INET6 => {
            let a: [u8; 16] = rest.get(..16)?.try_into().ok()?;
            Some(SockAddr::Ip(
                IpAddr::V6(Ipv6Addr::from(a)),
                port(rest.get(16..18)?, e)?,
            ))
        }
        AF_UNIX => {
            let end = memchr::memchr(0, rest).unwrap_or(rest.len());
            Some(SockAddr::Unix(0, rest.get(..end)?))
        }
        other => Some(SockAddr::Other(other)),
    }
}

/// A socket tuple: family byte, then source and destination (IPv4: sip,
/// sport, dip, dport; IPv6 likewise; Unix: two kernel addresses and a path).
fn socktuple(b: &[u8], e: Endian) -> Option<(SockAddr<'_>, SockAddr<'_>)> {
    let family = *b.first()?;
    let rest = b.get(1..)?;
    match family {
        AF_INET => {
            let sip = Ipv4Addr::from(array4(rest.get(..4)?));
            let sport = port(rest.get(4..6)?, e)?;
            let dip = Ipv4Addr::from(array4(rest.get(6..10)?));
            let dport = port(rest.get(10..12)?, e)?;
            Some((
                SockAddr::Ip(IpAddr::V4(sip), sport),
                SockAddr::Ip(IpAddr::V4(dip), dport),
            ))
        }
        AF_INET6 => {
            let sip: [u8; 16] = rest.get(..16)?.try_into().ok()?;
            let sport = port(rest.get(16..18)?, e)?;
            let dip: [u8; 16] = rest.get(18..34)?.try_into().ok()?;
            let dport = port(rest.get(34..36)?, e)?;
            Some((
                SockAddr::Ip(IpAddr::V6(Ipv6Addr::from(sip)), sport),
                SockAddr::Ip(IpAddr::V6(Ipv6Addr::from(dip)), dport),
            ))
        }
        AF_UNIX => {
            let src = u64_from(rest.get(..8)?, e);
            let dst = u64_from(rest.get(8..16)?, e);
            let path = rest.get(16..)?;
            let end = memchr::memchr(0, path).unwrap_or(path.len());
            let path = path.get(..end)?;
            Some((SockAddr::Unix(src, path), SockAddr::Unix(dst, path)))
        }
        other => Some((SockAddr::Other(other), SockAddr::Other(other))),
    }
}
