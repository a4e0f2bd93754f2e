//! The metadata blocks before (and between) the events: machine info, the
//! process and thread list, each thread's open file descriptors, the
//! network interfaces, and the user and group lists. Each parser reads one
//! block body with a `Cursor` and stores typed entries in [`Metadata`].

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::cursor::{Cursor, Short};
use super::error::ScapErrorKind;

/// Machine info block (0x201).
pub const MI: u32 = 0x201;
/// Machine info block, pre-release number.
pub const MI_INT: u32 = 0x8002_ABCD;
/// Process list blocks, every version (v1 .. v9, and pre-release numbers).
pub const PL: [u32; 12] = [
    0x202,
    0x8000_ABCD,
    0x207,
    0x8013_ABCD,
    0x209,
    0x8014_ABCD,
    0x210,
    0x211,
    0x212,
    0x213,
    0x214,
    0x215,
];
/// File descriptor list blocks (v1, pre-release, v2).
pub const FDL: [u32; 3] = [0x203, 0x8001_ABCD, 0x218];
/// Interface list blocks (v1, pre-release, v2).
pub const IL: [u32; 3] = [0x205, 0x8011_ABCD, 0x219];
/// User list blocks (v1, pre-release, v2).
pub const UL: [u32; 3] = [0x206, 0x8012_ABCD, 0x220];

/// Block names, for errors.
const PROCESS_LIST: &str = "process list";
const FD_LIST: &str = "fd list";
const INTERFACE_LIST: &str = "interface list";
const USER_LIST: &str = "user list";

/// The format's limits on string lengths (libscap's buffer sizes).
const MAX_PATH: usize = 1024;
const MAX_ARGS: usize = 4096;
const MAX_ENV: usize = 4096;
const MAX_CGROUPS: usize = 4096;
const MAX_CREDENTIALS: usize = 256;

/// What the machine info block says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MachineInfo {
    /// Number of CPUs.
    pub num_cpus: u32,
    /// Physical memory in bytes.
    pub memory_size_bytes: u64,
    /// Highest process id.
    pub max_pid: u64,
    /// Host name.
    pub hostname: String,
}

/// One thread of the process list, as the capture's writer saw it when the
/// capture started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThreadEntry {
    /// Thread id.
    pub tid: i64,
    /// Process id (the thread group leader).
    pub pid: i64,
    /// Parent's thread id.
    pub ptid: i64,
    /// Session id (-1 when absent).
    pub sid: i64,
    /// Process group id in its namespace (-1 when absent).
    pub vpgid: i64,
    /// Command name (`comm`).
    pub comm: String,
    /// `argv[0]`.
    pub exe: String,
    /// Full executable path (empty when absent).
    pub exepath: String,
    /// Arguments after `argv[0]`.
    pub args: Vec<String>,
    /// Working directory.
    pub cwd: String,
    /// Maximum number of file descriptors.
    pub fdlimit: u64,
    /// `PPM_CL_*` flags.
    pub flags: u32,
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
    /// Environment (`NAME=value` strings).
    pub env: Vec<String>,
    /// Thread id in its pid namespace (-1 when absent).
    pub vtid: i64,
    /// Process id in its pid namespace (-1 when absent).
    pub vpid: i64,
    /// Control groups (`subsystem=path` strings).
    pub cgroups: Vec<String>,
    /// Root directory.
    pub root: String,
    /// Controlling terminal (0 when none).
    pub tty: u32,
    /// Login user id (`u32::MAX` when unknown).
    pub loginuid: u32,
}

/// One file descriptor of a thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FdEntry {
    /// The owning thread.
    pub tid: i64,
    /// The descriptor number.
    pub fd: i64,
    /// Inode number.
    pub ino: u64,
    /// What it refers to.
    pub kind: FdKind,
}

/// What a file descriptor refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FdKind {
    /// A file, directory, pipe or other named object: the `SCAP_FD_*` type
    /// code, the name, and the open flags when recorded.
    Named {
        /// `SCAP_FD_*` type code.
        type_code: u8,
        /// Path or name.
        name: String,
        /// `open` flags (files only).
        open_flags: Option<u32>,
    },
    /// A connected IPv4 or IPv6 socket.
    Socket {
        /// Source address.
        sip: IpAddr,
        /// Destination address.
        dip: IpAddr,
        /// Source port.
        sport: u16,
        /// Destination port.
        dport: u16,
        /// IP protocol (`SCAP_L4_*`).
        l4proto: u8,
    },
    /// A listening IPv4 or IPv6 socket: its address, port and IP protocol.
    Listening {
        /// Address.
        ip: IpAddr,
        /// Port.
        port: u16,
        /// IP protocol.
        l4proto: u8,
    },
    /// A Unix socket.
    Unix {
        /// Kernel address of this end.
        source: u64,
        /// Kernel address of the peer.
        destination: u64,
        /// Path.
        name: String,
    },
    /// A type this reader does not know (from a newer writer).
    Unknown(u8),
}

/// One network interface address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    /// Interface name.
    pub name: String,
    /// Its address.
    pub addr: std::net::IpAddr,
}

/// One user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// User id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
    /// Name.
    pub name: String,
    /// Home directory.
    pub homedir: String,
    /// Login shell.
    pub shell: String,
}

/// One group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Group id.
    pub gid: u32,
    /// Name.
    pub name: String,
}

/// Everything the metadata blocks said.
#[derive(Debug, Clone, Default)]
pub struct Metadata {
    /// The machine info block, when present.
    pub machine: Option<MachineInfo>,
    /// The threads of the process list blocks, by thread id (a thread
    /// listed again, in a later section, replaces the earlier entry).
    pub threads: BTreeMap<i64, ThreadEntry>,
    /// The file descriptors of the fd list blocks, in block order.
    pub fds: Vec<FdEntry>,
    /// The interfaces of the last interface list block (each block
    /// replaces the list, as in libscap).
    pub interfaces: Vec<Interface>,
    /// The users and groups of the last user list block.
    pub credentials: Credentials,
}

/// Text from bytes, lossily (names on file are bytes).
fn text(bytes: &[u8]) -> String {
    let end = memchr::memchr(0, bytes).unwrap_or(bytes.len());
    String::from_utf8_lossy(bytes.get(..end).unwrap_or(bytes)).into_owned()
}

/// NUL-separated strings (empty ones dropped).
pub(crate) fn strings(bytes: &[u8]) -> Vec<String> {
    bytes
        .split(|&b| b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}

fn bad(cur: &Cursor<'_>, block: &'static str, message: String) -> Short {
    cur.error(ScapErrorKind::Metadata { block, message })
}

/// Parses a machine info block body.
pub(crate) fn machine_info(cur: &mut Cursor<'_>) -> Result<MachineInfo, Short> {
    let num_cpus = cur.u32("machine info")?;
    let memory_size_bytes = cur.u64("machine info")?;
    let max_pid = cur.u64("machine info")?;
    let hostname = text(cur.take(128, "machine info hostname")?);
    Ok(MachineInfo {
        num_cpus,
        memory_size_bytes,
        max_pid,
        hostname,
    })
}

/// Where one list entry starts, and its length when the block version
/// writes one.
#[derive(Clone, Copy)]
struct Entry {
    /// Cursor position of the entry's first byte (its length, when sized).
    start: usize,
    /// The entry's length, counted from `start`.
    len: Option<usize>,
}

impl Entry {
    /// Whether `n` more bytes fit in the entry after what `cur` has read
    /// of it (always false for unsized entries: their fields are fixed).
    fn fits(&self, cur: &Cursor<'_>, n: usize) -> bool {
        self.len
            .is_some_and(|len| cur.consumed() - self.start + n <= len)
    }
}

/// Reads the entries of a list block until fewer than 4 bytes are left
/// (the padding): each prefixed by its 32-bit length when `sized` (the
/// length counting itself when `len_counts_itself`), parsed by `entry`,
/// then the rest of its length skipped (fields of newer writers).
fn entries<T>(
    cur: &mut Cursor<'_>,
    what: &'static str,
    sized: bool,
    len_counts_itself: bool,
    out: &mut Vec<T>,
    mut entry: impl FnMut(&mut Cursor<'_>, Entry) -> Result<T, Short>,
) -> Result<(), Short> {
    while cur.remaining() >= 4 {
        let mut at = Entry {
            start: cur.consumed(),
            len: None,
        };
        if sized {
            let len = cur.u32(what)? as usize;
            if !len_counts_itself {
                at.start = cur.consumed();
            }
            at.len = Some(len);
        }
        let item = entry(cur, at)?;
        if let Some(len) = at.len {
            let read = cur.consumed() - at.start;
            if read > len {
                return Err(bad(
                    cur,
                    what,
                    format!("an entry is longer ({read} bytes) than its length {len}"),
                ));
            }
            cur.skip(len - read, what)?;
        }
        out.push(item);
    }
    Ok(())
}

/// Parses a process list block body of `block_type`.
pub(crate) fn process_list(
    cur: &mut Cursor<'_>,
    block_type: u32,
    out: &mut BTreeMap<i64, ThreadEntry>,
) -> Result<(), Short> {
    // Versions: index in the order v1 .. v9 (pre-release numbers map to theirs).
    let version = match block_type {
        0x202 | 0x8000_ABCD => 1,
        0x207 | 0x8013_ABCD => 2,
        0x209 | 0x8014_ABCD => 3,
        0x210 => 4,
        0x211 => 5,
        0x212 => 6,
        0x213 => 7,
        0x214 => 8,
        _ => 9,
    };
    let mut threads = Vec::new();
    entries(
        cur,
        PROCESS_LIST,
        version >= 9,
        true,
        &mut threads,
        |cur, at| {
            let mut t = ThreadEntry {
                sid: -1,
                vpgid: -1,
                vtid: -1,
                vpid: -1,
                loginuid: u32::MAX,
                ..ThreadEntry::default()
            };
            t.tid = cur.i64(PROCESS_LIST)?;
            t.pid = cur.i64(PROCESS_LIST)?;
            t.ptid = cur.i64(PROCESS_LIST)?;
            if version >= 6 {
                t.sid = cur.i64(PROCESS_LIST)?;
            }
            if version >= 8 {
                t.vpgid = cur.i64(PROCESS_LIST)?;
            }
            t.comm = text(cur.str16("process list comm", MAX_PATH)?);
            t.exe = text(cur.str16("process list exe", MAX_PATH)?);
            if version >= 7 {
                t.exepath = text(cur.str16("process list exepath", MAX_PATH)?);
            }
            t.args = strings(cur.str16("process list args", MAX_ARGS)?);
            t.cwd = text(cur.str16("process list cwd", MAX_PATH)?);
            t.fdlimit = cur.u64(PROCESS_LIST)?;
            t.flags = cur.u32(PROCESS_LIST)?;
            t.uid = cur.u32(PROCESS_LIST)?;
            t.gid = cur.u32(PROCESS_LIST)?;
            if version >= 2 {
                // vmsize, vmrss, vmswap (32-bit), pfmajor, pfminor (64-bit).
                cur.skip(4 * 3 + 8 * 2, PROCESS_LIST)?;
                if version >= 3 {
                    t.env = strings(cur.str16("process list env", MAX_ENV)?);
                }
                if version >= 4 {
                    t.vtid = cur.i64(PROCESS_LIST)?;
                    t.vpid = cur.i64(PROCESS_LIST)?;
                    t.cgroups = strings(cur.str16("process list cgroups", MAX_CGROUPS)?);
                    if version >= 5 {
                        t.root = text(cur.str16("process list root", MAX_PATH)?);
                    }
                }
            }
            // Writers of libs >= 0.10 put two fields before `loginuid`; older
            // ones left at most 29 bytes (loginuid, exe_writable, three
            // capability sets) after the fields above.
            let left = at
                .len
                .map_or(0, |len| len.saturating_sub(cur.consumed() - at.start));
            if left > 29 {
                if at.fits(cur, 8) {
                    cur.skip(8, PROCESS_LIST)?; // pidns_init_start_ts
                }
                if at.fits(cur, 4) {
                    t.tty = cur.u32(PROCESS_LIST)?;
                }
            }
            if at.fits(cur, 4) {
                t.loginuid = cur.u32(PROCESS_LIST)?;
            }
            // The rest (exe_writable, capabilities, exe inode ...) is skipped.
            Ok(t)
        },
    )?;
    out.extend(threads.into_iter().map(|t| (t.tid, t)));
    Ok(())
}

/// Parses one fd list block body of `block_type`.
pub(crate) fn fd_list(
    cur: &mut Cursor<'_>,
    block_type: u32,
    out: &mut Vec<FdEntry>,
) -> Result<(), Short> {
    let tid = cur.i64(FD_LIST)?;
    entries(cur, FD_LIST, block_type == 0x218, true, out, |cur, at| {
        let fd = cur.i64(FD_LIST)?;
        let ino = cur.u64(FD_LIST)?;
        let type_code = cur.u8(FD_LIST)?;
        // Addresses are stored as they are in memory (network order),
        // ports in the writer's order.
        let ip = |cur: &mut Cursor<'_>, v6: bool| -> Result<IpAddr, Short> {
            Ok(if v6 {
                let mut a = [0u8; 16];
                a.copy_from_slice(cur.take(16, FD_LIST)?);
                IpAddr::V6(Ipv6Addr::from(a))
            } else {
                let mut a = [0u8; 4];
                a.copy_from_slice(cur.take(4, FD_LIST)?);
                IpAddr::V4(Ipv4Addr::from(a))
            })
        };
        let name = |cur: &mut Cursor<'_>| -> Result<String, Short> {
            Ok(text(cur.str16("fd list name", MAX_PATH - 1)?))
        };
        let kind = match type_code {
            3 | 4 => FdKind::Socket {
                sip: ip(cur, type_code == 4)?,
                dip: ip(cur, type_code == 4)?,
                sport: cur.u16(FD_LIST)?,
                dport: cur.u16(FD_LIST)?,
                l4proto: cur.u8(FD_LIST)?,
            },
            5 | 6 => FdKind::Listening {
                ip: ip(cur, type_code == 6)?,
                port: cur.u16(FD_LIST)?,
                l4proto: cur.u8(FD_LIST)?,
            },
            8 => FdKind::Unix {
                source: cur.u64(FD_LIST)?,
                destination: cur.u64(FD_LIST)?,
                name: name(cur)?,
            },
            16 => {
                let open_flags = Some(cur.u32(FD_LIST)?);
                let name = name(cur)?;
                // A device number follows in newer writers (the length tells).
                if at.fits(cur, 4) {
                    cur.skip(4, FD_LIST)?;
                }
                FdKind::Named {
                    type_code,
                    name,
                    open_flags,
                }
            }
            1 | 2 | 7 | 9..=15 | 17..=21 => FdKind::Named {
                type_code,
                name: name(cur)?,
                open_flags: None,
            },
            // Without a length the rest of an unknown entry cannot be found.
            other if other == 0 || at.len.is_none() => {
                return Err(bad(
                    cur,
                    FD_LIST,
                    format!("fd {fd} of tid {tid} has unknown type {type_code}"),
                ));
            }
            other => FdKind::Unknown(other),
        };
        Ok(FdEntry { tid, fd, ino, kind })
    })
}

/// Parses an interface list block body of `block_type` (replacing `out`).
pub(crate) fn interface_list(
    cur: &mut Cursor<'_>,
    block_type: u32,
    out: &mut Vec<Interface>,
) -> Result<(), Short> {
    out.clear();
    entries(
        cur,
        INTERFACE_LIST,
        block_type == 0x219,
        false,
        out,
        |cur, _| {
            let iftype = cur.u16(INTERFACE_LIST)?;
            let namelen = usize::from(cur.u16(INTERFACE_LIST)?);
            if namelen >= MAX_PATH {
                return Err(bad(
                    cur,
                    INTERFACE_LIST,
                    format!("interface name length {namelen} is too long"),
                ));
            }
            // Address, netmask, broadcast; then the link speed for types 1 and 2.
            let addr = match iftype {
                1 | 3 => {
                    let mut b = [0u8; 4];
                    b.copy_from_slice(cur.take(4, INTERFACE_LIST)?);
                    cur.skip(8, INTERFACE_LIST)?;
                    IpAddr::from(b)
                }
                2 | 4 => {
                    let mut b = [0u8; 16];
                    b.copy_from_slice(cur.take(16, INTERFACE_LIST)?);
                    cur.skip(32, INTERFACE_LIST)?;
                    IpAddr::from(b)
                }
                other => {
                    return Err(bad(
                        cur,
                        INTERFACE_LIST,
                        format!("unknown interface type {other}"),
                    ));
                }
            };
            if iftype <= 2 {
                cur.skip(8, INTERFACE_LIST)?;
            }
            let name = text(cur.take(namelen, INTERFACE_LIST)?);
            Ok(Interface { name, addr })
        },
    )
}

/// The users and groups of a user list block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    /// The users, in block order.
    pub users: Vec<User>,
    /// The groups, in block order.
    pub groups: Vec<Group>,
}

/// A user or a group of a user list block.
enum Credential {
    User(User),
    Group(Group),
}

/// Parses a user list block body of `block_type` (replacing `out`).
pub(crate) fn user_list(
    cur: &mut Cursor<'_>,
    block_type: u32,
    out: &mut Credentials,
) -> Result<(), Short> {
    let mut all = Vec::new();
    entries(
        cur,
        USER_LIST,
        block_type == 0x220,
        true,
        &mut all,
        |cur, _| {
            let kind = cur.u8(USER_LIST)?;
            let id = cur.u32(USER_LIST)?;
            Ok(if kind == 0 {
                Credential::User(User {
                    uid: id,
                    gid: cur.u32(USER_LIST)?,
                    name: text(cur.str16("user name", MAX_CREDENTIALS - 1)?),
                    homedir: text(cur.str16("user home directory", MAX_CREDENTIALS - 1)?),
                    shell: text(cur.str16("user shell", MAX_CREDENTIALS - 1)?),
                })
            } else {
                Credential::Group(Group {
                    gid: id,
                    name: text(cur.str16("group name", MAX_CREDENTIALS - 1)?),
                })
            })
        },
    )?;
    out.users.clear();
    out.groups.clear();
    for c in all {
        match c {
            Credential::User(u) => out.users.push(u),
            Credential::Group(g) => out.groups.push(g),
        }
    }
    Ok(())
}
