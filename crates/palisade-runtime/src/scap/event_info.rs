//! What the `.scap` format says about each event type: its name, category,
//! flags and parameters ([`EventInfo`]), looked up by event code
//! ([`event_info`]), and the names of system calls ([`syscall_name`]) that
//! generic events carry as their first parameter.
//!
//! The table itself (`event_table.tsv`, read once on first use) is
//! generated from falcosecurity/libs' `driver/event_table.c` by
//! `scripts/scap_event_table.py`; it is data, kept as text so that the
//! generated part is not Rust code to review.

use std::sync::OnceLock;

/// The generated table.
const TABLE: &str = include_str!("event_table.tsv");

/// How a parameter's bytes are to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParamType {
    /// No value.
    None,
    /// Signed 8-bit integer.
    Int8,
    /// Signed 16-bit integer.
    Int16,
    /// Signed 32-bit integer.
    Int32,
    /// Signed 64-bit integer.
    Int64,
    /// Unsigned 8-bit integer.
    Uint8,
    /// Unsigned 16-bit integer.
    Uint16,
    /// Unsigned 32-bit integer.
    Uint32,
    /// Unsigned 64-bit integer.
    Uint64,
    /// A NUL-terminated printable string.
    Charbuf,
    /// Raw bytes.
    Bytebuf,
    /// A 64-bit return value; negative values are `-errno`.
    Errno,
    /// A socket address: one family byte, then the address.
    Sockaddr,
    /// A socket tuple: one family byte, then both endpoints.
    Socktuple,
    /// A 64-bit file descriptor.
    Fd,
    /// A 64-bit process or thread id.
    Pid,
    /// A list of file descriptors (16-bit count, then 64-bit fd + 16-bit flags each).
    Fdlist,
    /// A file system path (NUL-terminated).
    Fspath,
    /// A 16-bit system call code (see [`syscall_name`]).
    Syscallid,
    /// An 8-bit signal number.
    Sigtype,
    /// A relative time in nanoseconds (64-bit).
    Reltime,
    /// An absolute time in nanoseconds since the epoch (64-bit).
    Abstime,
    /// A 16-bit TCP/UDP port.
    Port,
    /// An 8-bit IP protocol number.
    L4proto,
    /// An 8-bit socket family.
    Sockfamily,
    /// A 32-bit boolean.
    Bool,
    /// A 4-byte IPv4 address.
    Ipv4addr,
    /// A value whose type depends on another parameter.
    Dyn,
    /// 8-bit flags.
    Flags8,
    /// 16-bit flags.
    Flags16,
    /// 32-bit flags.
    Flags32,
    /// A 32-bit user id.
    Uid,
    /// A 32-bit group id.
    Gid,
    /// A 64-bit floating point number.
    Double,
    /// The lower 32 bits of a signal set.
    Sigset,
    /// An array of strings (user events only).
    Charbufarray,
    /// An array of string pairs (user events only).
    CharbufPairArray,
    /// An IPv4 network.
    Ipv4net,
    /// A 16-byte IPv6 address.
    Ipv6addr,
    /// An IPv6 network.
    Ipv6net,
    /// An IPv4 or IPv6 address (by length).
    Ipaddr,
    /// An IPv4 or IPv6 network (by length).
    Ipnet,
    /// A 32-bit file mode.
    Mode,
    /// A path relative to a directory file descriptor.
    Fsrelpath,
    /// An 8-bit enumeration.
    Enumflags8,
    /// A 16-bit enumeration.
    Enumflags16,
    /// A 32-bit enumeration.
    Enumflags32,
    /// A 32-bit file descriptor.
    Fd32,
    /// A 32-bit process id.
    Pid32,
}

/// How a numeric parameter is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParamFormat {
    /// Not a number.
    Na,
    /// Decimal.
    Dec,
    /// Hexadecimal.
    Hex,
    /// Octal.
    Oct,
}

/// One parameter of an event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamInfo {
    /// Its name (`evt.arg.NAME`).
    pub name: &'static str,
    /// How its bytes are read.
    pub kind: ParamType,
    /// How it is printed.
    pub format: ParamFormat,
    /// Index of its table of value names in the generated table (flags
    /// and enumerations), when it has one.
    names: Option<u16>,
}

impl ParamInfo {
    /// The names of its flag bits or enumeration values, in libs'
    /// `flags_table.c` order (empty when it has none).
    pub fn value_names(&self) -> &'static [(&'static str, u64)] {
        self.names
            .and_then(|i| table().names.get(usize::from(i)))
            .map_or(&[], |(_, n)| &n[..])
    }
}

/// One event type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventInfo {
    /// Its name (`evt.type`); `syscall` for generic events, whose name is
    /// that of the system call they carry.
    pub name: &'static str,
    /// Category bits (the `EC_*` values).
    pub category: u32,
    /// Flag bits (the `EF_*` values).
    pub flags: u32,
    /// Its parameters, in order (the newest version; older captures may
    /// hold fewer).
    pub params: Box<[ParamInfo]>,
}

/// Category bit: an event the libraries make for themselves (process
/// snapshots, container metadata); never shown as an event.
pub const EC_INTERNAL: u32 = 1 << 8;
/// Flag bit: parameter lengths are 32-bit instead of 16-bit.
pub const EF_LARGE_PAYLOAD: u32 = 1 << 11;

/// Event code of a generic system call enter event.
pub const GENERIC_E: u16 = 0;
/// Event code of a generic system call exit event.
pub const GENERIC_X: u16 = 1;

impl EventInfo {
    /// Whether this is an internal event (never shown).
    pub fn is_internal(&self) -> bool {
        self.category & EC_INTERNAL != 0
    }

    /// Whether parameter lengths are 32-bit.
    pub fn large_payload(&self) -> bool {
        self.flags & EF_LARGE_PAYLOAD != 0
    }
}

/// A table of value names (`file_flags`): its name, and each value's name.
type NameTable = (&'static str, Box<[(&'static str, u64)]>);

/// The parsed table: events by code, syscall names by code.
struct Table {
    events: Vec<EventInfo>,
    syscalls: Vec<&'static str>,
    /// Value-name tables, by name.
    names: Vec<NameTable>,
}

fn param_type(name: &str) -> ParamType {
    use ParamType as T;
    const TYPES: [(&str, ParamType); 49] = [
        ("None", T::None),
        ("Int8", T::Int8),
        ("Int16", T::Int16),
        ("Int32", T::Int32),
        ("Int64", T::Int64),
        ("Uint8", T::Uint8),
        ("Uint16", T::Uint16),
        ("Uint32", T::Uint32),
        ("Uint64", T::Uint64),
        ("Charbuf", T::Charbuf),
        ("Bytebuf", T::Bytebuf),
        ("Errno", T::Errno),
        ("Sockaddr", T::Sockaddr),
        ("Socktuple", T::Socktuple),
        ("Fd", T::Fd),
        ("Pid", T::Pid),
        ("Fdlist", T::Fdlist),
        ("Fspath", T::Fspath),
        ("Syscallid", T::Syscallid),
        ("Sigtype", T::Sigtype),
        ("Reltime", T::Reltime),
        ("Abstime", T::Abstime),
        ("Port", T::Port),
        ("L4proto", T::L4proto),
        ("Sockfamily", T::Sockfamily),
        ("Bool", T::Bool),
        ("Ipv4addr", T::Ipv4addr),
        ("Dyn", T::Dyn),
        ("Flags8", T::Flags8),
        ("Flags16", T::Flags16),
        ("Flags32", T::Flags32),
        ("Uid", T::Uid),
        ("Gid", T::Gid),
        ("Double", T::Double),
        ("Sigset", T::Sigset),
        ("Charbufarray", T::Charbufarray),
        ("CharbufPairArray", T::CharbufPairArray),
        ("Ipv4net", T::Ipv4net),
        ("Ipv6addr", T::Ipv6addr),
        ("Ipv6net", T::Ipv6net),
        ("Ipaddr", T::Ipaddr),
        ("Ipnet", T::Ipnet),
        ("Mode", T::Mode),
        ("Fsrelpath", T::Fsrelpath),
        ("Enumflags8", T::Enumflags8),
        ("Enumflags16", T::Enumflags16),
        ("Enumflags32", T::Enumflags32),
        ("Fd32", T::Fd32),
        ("Pid32", T::Pid32),
    ];
    TYPES
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(T::Bytebuf, |&(_, t)| t)
}

fn param_format(name: &str) -> ParamFormat {
    match name {
        "Dec" => ParamFormat::Dec,
        "Hex" => ParamFormat::Hex,
        "Oct" => ParamFormat::Oct,
        _ => ParamFormat::Na,
    }
}

fn hex(text: &str) -> u32 {
    u32::from_str_radix(text.trim_start_matches("0x"), 16).unwrap_or(0)
}

/// Reads the generated table (lines it does not understand are skipped;
/// `tests` pin its size).
fn table() -> &'static Table {
    static TABLE_ONCE: OnceLock<Table> = OnceLock::new();
    TABLE_ONCE.get_or_init(|| {
        let mut events = Vec::new();
        let mut syscalls = Vec::new();
        // The `F` lines (last in the file) first: parameters refer to them.
        let names: Vec<NameTable> = TABLE
            .lines()
            .filter_map(|line| line.strip_prefix("F\t"))
            .map(|line| {
                let mut fields = line.split('\t');
                let name = fields.next().unwrap_or("");
                let values = fields
                    .filter_map(|pair| {
                        let (n, v) = pair.split_once('=')?;
                        Some((n, v.parse().ok()?))
                    })
                    .collect();
                (name, values)
            })
            .collect();
        let names_index = |table: Option<&str>| {
            let table = table?;
            names
                .iter()
                .position(|(n, _)| *n == table)
                .and_then(|i| u16::try_from(i).ok())
        };
        for line in TABLE.lines() {
            let mut fields = line.split('\t');
            match (
                fields.next(),
                fields.next().and_then(|c| c.parse::<usize>().ok()),
            ) {
                (Some("E"), Some(code)) => {
                    let name = fields.next().unwrap_or("NA");
                    let category = hex(fields.next().unwrap_or("0"));
                    let flags = hex(fields.next().unwrap_or("0"));
                    let params = fields
                        .map(|p| {
                            let mut parts = p.split(':');
                            ParamInfo {
                                name: parts.next().unwrap_or(""),
                                kind: param_type(parts.next().unwrap_or("")),
                                format: param_format(parts.next().unwrap_or("")),
                                names: names_index(parts.next()),
                            }
                        })
                        .collect();
                    if events.len() == code {
                        events.push(EventInfo {
                            name,
                            category,
                            flags,
                            params,
                        });
                    }
                }
                (Some("S"), Some(code)) => {
                    if syscalls.len() <= code {
                        syscalls.resize(code + 1, "");
                    }
                    if let Some(slot) = syscalls.get_mut(code) {
                        *slot = fields.next().unwrap_or("");
                    }
                }
                _ => {}
            }
        }
        Table {
            events,
            syscalls,
            names,
        }
    })
}

/// The description of event `code`, or `None` for a code this table does
/// not know (a newer capture's event).
pub fn event_info(code: u16) -> Option<&'static EventInfo> {
    table().events.get(usize::from(code))
}

/// The number of event codes known.
pub fn event_count() -> usize {
    table().events.len()
}

/// The name of system call code `code` (as carried by generic events), or
/// `None` when unknown.
pub fn syscall_name(code: u16) -> Option<&'static str> {
    table()
        .syscalls
        .get(usize::from(code))
        .copied()
        .filter(|n| !n.is_empty() && *n != "unknown")
}

/// The direction of an event: enter (`>`) for even codes, exit (`<`) for
/// odd ones.
pub fn direction(code: u16) -> char {
    if code.is_multiple_of(2) { '>' } else { '<' }
}
