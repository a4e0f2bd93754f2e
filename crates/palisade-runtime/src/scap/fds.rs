//! The file descriptor table libsinsp keeps while reading a capture: one
//! table per process, filled from the capture's fd lists and kept current
//! by the events that create, change and close descriptors (`open`,
//! `openat`, `openat2`, `creat`, `socket`, `connect`, `accept`, `bind`,
//! `pipe`, `dup`, `fcntl(F_DUPFD)`, `close`), with each socket's tuple and
//! role; and which descriptor each event is about (`fd.num`), as libsinsp
//! decides it.

use std::collections::HashMap;
use std::net::IpAddr;

use super::event::{ParamValue, RawEvent, SockAddr};
use super::metadata::{FdEntry, FdKind, Metadata};

/// What a descriptor refers to (libscap's `SCAP_FD_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FdType {
    /// Unknown (`o`).
    Unknown,
    /// A file (`f`).
    File,
    /// A directory (`d`).
    Directory,
    /// An IPv4 socket (`4`).
    Ipv4,
    /// An IPv6 socket (`6`).
    Ipv6,
    /// A listening IPv4 socket (`4`).
    Ipv4Server,
    /// A listening IPv6 socket (`6`).
    Ipv6Server,
    /// A pipe (`p`).
    Fifo,
    /// A Unix socket (`u`).
    Unix,
    /// An eventfd (`e`).
    Event,
    /// A signalfd (`s`).
    Signalfd,
    /// An epoll descriptor (`l`).
    Eventpoll,
    /// An inotify descriptor (`i`).
    Inotify,
    /// A timerfd (`t`).
    Timerfd,
    /// A netlink socket (`n`).
    Netlink,
    /// A BPF object (`b`).
    Bpf,
    /// Another kind libscap knows (`X`).
    Other,
}

impl FdType {
    /// From a `SCAP_FD_*` code.
    pub fn from_code(code: u8) -> Self {
        match code {
            1 | 16 => FdType::File,
            2 => FdType::Directory,
            3 => FdType::Ipv4,
            4 => FdType::Ipv6,
            5 => FdType::Ipv4Server,
            6 => FdType::Ipv6Server,
            7 => FdType::Fifo,
            8 => FdType::Unix,
            9 => FdType::Event,
            11 => FdType::Signalfd,
            12 => FdType::Eventpoll,
            13 => FdType::Inotify,
            14 => FdType::Timerfd,
            15 => FdType::Netlink,
            17 => FdType::Bpf,
            0 => FdType::Unknown,
            _ => FdType::Other,
        }
    }

    /// `fd.typechar`, and `fd.type` (`None` for an unknown descriptor, as
    /// sysdig 0.29.3 shows).
    fn chars(self) -> (char, Option<&'static str>) {
        match self {
            FdType::Unknown => ('o', None),
            FdType::Other => ('X', None),
            FdType::File => ('f', Some("file")),
            FdType::Directory => ('d', Some("directory")),
            FdType::Ipv4 | FdType::Ipv4Server => ('4', Some("ipv4")),
            FdType::Ipv6 | FdType::Ipv6Server => ('6', Some("ipv6")),
            FdType::Fifo => ('p', Some("pipe")),
            FdType::Unix => ('u', Some("unix")),
            FdType::Event => ('e', Some("event")),
            FdType::Signalfd => ('s', Some("signalfd")),
            FdType::Eventpoll => ('l', Some("eventpoll")),
            FdType::Inotify => ('i', Some("inotify")),
            FdType::Timerfd => ('t', Some("timerfd")),
            FdType::Netlink => ('n', Some("netlink")),
            FdType::Bpf => ('b', Some("bpf")),
        }
    }

    /// `fd.typechar`.
    pub fn typechar(self) -> char {
        self.chars().0
    }

    /// `fd.type` (`None` for an unknown descriptor, as sysdig 0.29.3 shows).
    pub fn name(self) -> Option<&'static str> {
        self.chars().1
    }

    /// Whether it is an IPv4 or IPv6 socket (listening or not).
    pub fn is_ip(self) -> bool {
        matches!(
            self,
            FdType::Ipv4 | FdType::Ipv6 | FdType::Ipv4Server | FdType::Ipv6Server
        )
    }
}

/// The transport protocol of a socket (`SCAP_L4_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum L4Proto {
    /// Not known (yet).
    #[default]
    Unknown,
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// ICMP.
    Icmp,
    /// A raw socket.
    Raw,
}

impl L4Proto {
    fn from_code(code: u8) -> Self {
        match code {
            1 => L4Proto::Tcp,
            2 => L4Proto::Udp,
            3 => L4Proto::Icmp,
            4 => L4Proto::Raw,
            _ => L4Proto::Unknown,
        }
    }

    fn name(self) -> &'static str {
        match self {
            L4Proto::Tcp => "tcp",
            L4Proto::Udp => "udp",
            L4Proto::Icmp => "icmp",
            L4Proto::Raw => "raw",
            L4Proto::Unknown => "<NA>",
        }
    }
}

/// The side a process is on for a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Role {
    /// Not known: `fd.sip`/`fd.cip` are absent.
    #[default]
    None,
    /// It connected.
    Client,
    /// It accepted, or listens.
    Server,
}

/// One descriptor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FdInfo {
    /// What it refers to.
    pub kind: FdType,
    /// `fd.name`.
    pub name: String,
    /// The transport protocol, for sockets.
    pub l4proto: L4Proto,
    /// The process's side of a socket.
    pub role: Role,
    /// Server address and port (a listening socket's own).
    pub server: Option<(IpAddr, u16)>,
    /// Client address and port.
    pub client: Option<(IpAddr, u16)>,
    /// Whether a connect or accept made it connected.
    pub connected: bool,
}

impl FdInfo {
    fn new(kind: FdType, name: String) -> Self {
        Self {
            kind,
            name,
            l4proto: L4Proto::Unknown,
            role: Role::None,
            server: None,
            client: None,
            connected: false,
        }
    }

    /// `fd.l4proto`: a socket's protocol once it has a role (`<NA>`
    /// before, and for other descriptors).
    pub fn l4proto_name(&self) -> &'static str {
        let known = match self.kind {
            FdType::Ipv4Server | FdType::Ipv6Server => true,
            FdType::Ipv4 | FdType::Ipv6 => self.role != Role::None,
            _ => false,
        };
        if known {
            self.l4proto.name()
        } else {
            L4Proto::Unknown.name()
        }
    }

    /// `fd.sockfamily`.
    pub fn sockfamily(&self) -> Option<&'static str> {
        match self.kind {
            k if k.is_ip() => Some("ip"),
            FdType::Unix => Some("unix"),
            _ => None,
        }
    }

    /// Whether it is a file (`fd.filename` and `fd.directory` derive from
    /// its name).
    pub fn is_file(&self) -> bool {
        self.kind == FdType::File
    }
}

impl From<&FdEntry> for FdInfo {
    fn from(e: &FdEntry) -> Self {
        match &e.kind {
            FdKind::Named {
                type_code, name, ..
            } => FdInfo::new(FdType::from_code(*type_code), name.clone()),
            FdKind::Socket {
                sip,
                dip,
                sport,
                dport,
                l4proto,
            } => {
                let kind = if sip.is_ipv4() {
                    FdType::Ipv4
                } else {
                    FdType::Ipv6
                };
                let mut info = FdInfo::new(kind, tuple_name(*sip, *sport, *dip, *dport));
                info.l4proto = L4Proto::from_code(*l4proto);
                info.client = Some((*sip, *sport));
                info.server = Some((*dip, *dport));
                info
            }
            FdKind::Listening { ip, port, l4proto } => {
                let kind = if ip.is_ipv4() {
                    FdType::Ipv4Server
                } else {
                    FdType::Ipv6Server
                };
                let mut info = FdInfo::new(kind, endpoint(*ip, *port));
                info.l4proto = L4Proto::from_code(*l4proto);
                info.server = Some((*ip, *port));
                info.role = Role::Server;
                info
            }
            FdKind::Unix {
                source,
                destination,
                name,
            } => FdInfo::new(FdType::Unix, unix_name(*source, *destination, name)),
            FdKind::Unknown(code) => FdInfo::new(FdType::from_code(*code), String::new()),
        }
    }
}

/// `ip:port` as libsinsp writes an endpoint (IPv6 without brackets).
fn endpoint(ip: IpAddr, port: u16) -> String {
    format!("{ip}:{port}")
}

/// `cip:cport->sip:sport`.
fn tuple_name(sip: IpAddr, sport: u16, dip: IpAddr, dport: u16) -> String {
    format!("{}->{}", endpoint(sip, sport), endpoint(dip, dport))
}

/// `source->destination path`, the kernel addresses in hex.
fn unix_name(source: u64, destination: u64, path: &str) -> String {
    format!("{source:x}->{destination:x} {path}")
}

/// `EF_*` bits of the event table that make an event about a descriptor.
const EF_CREATES_FD: u32 = 1;
const EF_DESTROYS_FD: u32 = 1 << 1;
const EF_USES_FD: u32 = 1 << 2;
/// `EF_SKIPPARSERESET`: libsinsp keeps a thread's last descriptor over it.
const EF_SKIPPARSERESET: u32 = 1 << 8;

/// Events whose descriptor bits differ between the event table this
/// reader is generated from and the one of sysdig 0.29.3 (falcosecurity/libs
/// `e5c53d64`, March 2022), the oracle: `(code, bits then)`. The older bits
/// decide which events have `fd.*` fields.
const FD_BITS_THEN: [(u16, u32); 12] = [
    (51, 0),
    (55, 0),
    (77, EF_USES_FD),
    (160, 0),
    (161, 0),
    (162, 0),
    (163, 0),
    (181, 0),
    (303, 0),
    (305, 0),
    (313, 0),
    (317, 0),
];

/// The `EF_CREATES_FD`, `EF_DESTROYS_FD` and `EF_USES_FD` bits of an
/// event, as libsinsp decides by them.
pub fn fd_bits(event: &RawEvent<'_>) -> u32 {
    FD_BITS_THEN
        .iter()
        .find(|(code, _)| *code == event.code)
        .map_or(event.info.flags & FD_EVENT, |&(_, bits)| bits)
}

/// Every descriptor bit.
const FD_EVENT: u32 = EF_CREATES_FD | EF_DESTROYS_FD | EF_USES_FD;

/// `-EINPROGRESS`: a non-blocking connect under way counts as connected.
const EINPROGRESS: i64 = -115;
/// `AT_FDCWD`: an `*at` path relative to the working directory.
const AT_FDCWD: i64 = -100;

/// `PPM_AF_*` socket domains.
const AF_UNIX: u64 = 1;
const AF_INET: u64 = 2;
const AF_INET6: u64 = 10;
const AF_NETLINK: u64 = 16;

/// The descriptor tables of a capture's processes, and what each thread's
/// last event was about.
#[derive(Debug, Clone, Default)]
pub struct FdTable {
    /// Descriptors by process id, then number.
    tables: HashMap<i64, HashMap<i64, FdInfo>>,
    /// Per thread: the descriptor its current event is about (`fd.num`),
    /// and the parameters of its last enter event an exit needs.
    last: HashMap<i64, LastEnter>,
    /// A descriptor closed by the last event: removed before the next one.
    closing: Option<(i64, i64)>,
    /// The name the current event shows for its descriptor when it differs
    /// from the table's (a failed connect shows the tuple it tried).
    event_name: Option<String>,
}

/// What an exit event needs from its enter event.
#[derive(Debug, Clone, Default)]
struct LastEnter {
    fd: i64,
    socket: Option<(u64, u64, u64)>,
}

impl FdTable {
    /// The tables the capture's fd lists describe.
    pub fn from_metadata(metadata: &Metadata) -> Self {
        let mut tables: HashMap<i64, HashMap<i64, FdInfo>> = HashMap::new();
        for e in &metadata.fds {
            let pid = metadata.threads.get(&e.tid).map_or(e.tid, |t| t.pid);
            tables.entry(pid).or_default().insert(e.fd, FdInfo::from(e));
        }
        Self {
            tables,
            ..Self::default()
        }
    }

    /// Descriptor `fd` of process `pid`.
    pub fn get(&self, pid: i64, fd: i64) -> Option<&FdInfo> {
        self.tables.get(&pid)?.get(&fd)
    }

    /// The descriptor thread `tid`'s current event is about (`fd.num`):
    /// -1 when none.
    pub fn last_fd(&self, tid: i64) -> i64 {
        self.last.get(&tid).map_or(-1, |l| l.fd)
    }

    /// The name the current event shows for its descriptor, when it is not
    /// the table's.
    pub fn event_name(&self) -> Option<&str> {
        self.event_name.as_deref()
    }

    /// A new process `child` starts with a copy of `parent`'s table.
    pub fn fork(&mut self, parent: i64, child: i64) {
        if parent == child || self.tables.contains_key(&child) {
            return;
        }
        if let Some(table) = self.tables.get(&parent).cloned() {
            self.tables.insert(child, table);
        }
    }

    /// Applies `event` of thread `tid` of process `pid`, with `cwd` the
    /// process's working directory (for relative paths).
    pub fn update(&mut self, event: &RawEvent<'_>, pid: i64, cwd: &str) {
        if let Some((pid, fd)) = self.closing.take()
            && let Some(t) = self.tables.get_mut(&pid)
        {
            t.remove(&fd);
        }
        let flags = fd_bits(event);
        let named = |n: &str| event.param_named(n).map(|p| p.value());
        let int = |n: &str| named(n).and_then(|v| v.as_i64());
        self.event_name = None;
        if event.direction() == '>' {
            let last = self.last.entry(event.tid).or_default();
            // An enter event names the descriptor its exit is about (none
            // when it uses none), except those libsinsp does not reset its
            // state for (`EF_SKIPPARSERESET`: scheduler switches and the
            // like); an exit whose enter was not captured is about the
            // last one named. (libsinsp skips every scheduler switch, not
            // only the version flagged so.)
            let keeps = event.info.flags & EF_SKIPPARSERESET != 0 || event.info.name == "switch";
            if !keeps {
                last.fd = if flags & EF_USES_FD != 0 {
                    int("fd").unwrap_or(-1)
                } else {
                    -1
                };
            }
            last.socket = match event.info.name {
                "socket" => Some((
                    named("domain").and_then(|v| v.as_u64()).unwrap_or(0),
                    named("type").and_then(|v| v.as_u64()).unwrap_or(0),
                    named("proto").and_then(|v| v.as_u64()).unwrap_or(0),
                )),
                _ => None,
            };
            return;
        }
        if flags == 0 {
            return;
        }
        let res = event
            .param(0)
            .and_then(|p| p.value().as_i64())
            .unwrap_or(-1);
        let enter_fd = self.last_fd(event.tid);
        match event.info.name {
            "open" | "openat" | "openat2" | "creat" if res >= 0 => {
                let name = named("name").and_then(text).unwrap_or_default();
                let dirfd = int("dirfd").unwrap_or(AT_FDCWD);
                let base = if dirfd == AT_FDCWD {
                    cwd.to_owned()
                } else {
                    self.get(pid, dirfd)
                        .map(|d| d.name.clone())
                        .unwrap_or_default()
                };
                let path = join(&base, &name);
                self.create(event.tid, pid, res, FdInfo::new(FdType::File, path));
            }
            "socket" if res >= 0 => {
                let (domain, ty, proto) = self
                    .last
                    .get(&event.tid)
                    .and_then(|l| l.socket)
                    .or_else(|| {
                        Some((
                            named("domain")?.as_u64()?,
                            named("type")?.as_u64()?,
                            named("proto")?.as_u64()?,
                        ))
                    })
                    .unwrap_or((0, 0, 0));
                let kind = match domain {
                    AF_INET => FdType::Ipv4,
                    AF_INET6 => FdType::Ipv6,
                    AF_UNIX => FdType::Unix,
                    AF_NETLINK => FdType::Netlink,
                    _ => FdType::Unknown,
                };
                let mut info = FdInfo::new(kind, String::new());
                info.l4proto = match (proto, ty & 0xf) {
                    (6, 3) => L4Proto::Raw,
                    (6, _) | (0, 1) => L4Proto::Tcp,
                    (17, _) | (0, 2) => L4Proto::Udp,
                    (1 | 58, _) => L4Proto::Icmp,
                    (_, 3) => L4Proto::Raw,
                    _ => L4Proto::Unknown,
                };
                self.create(event.tid, pid, res, info);
            }
            "accept" | "accept4" if res >= 0 => {
                let mut info = FdInfo::new(FdType::Unknown, String::new());
                info.role = Role::Server;
                info.connected = true;
                info.l4proto = L4Proto::Tcp;
                if let Some(ParamValue::SockTuple(src, dst)) = named("tuple") {
                    set_tuple(&mut info, src, dst, Role::Server);
                }
                self.create(event.tid, pid, res, info);
            }
            "connect" => {
                let Some(ParamValue::SockTuple(src, dst)) = named("tuple") else {
                    return;
                };
                let connected = res == 0 || res == EINPROGRESS;
                if let Some(info) = self.get_mut(pid, enter_fd) {
                    if connected {
                        set_tuple(info, src, dst, Role::Client);
                        info.connected = info.kind.is_ip();
                    } else {
                        // A failed connect leaves the descriptor as it was;
                        // the event itself shows the tuple.
                        let mut tried = info.clone();
                        set_tuple(&mut tried, src, dst, Role::Client);
                        self.event_name = Some(tried.name);
                    }
                }
            }
            "bind" if res >= 0 => {
                let Some(ParamValue::SockAddr(SockAddr::Ip(ip, port))) = named("addr") else {
                    return;
                };
                if let Some(info) = self.get_mut(pid, enter_fd) {
                    info.name = endpoint(ip, port);
                    if port > 0 {
                        info.kind = if ip.is_ipv4() {
                            FdType::Ipv4Server
                        } else {
                            FdType::Ipv6Server
                        };
                        info.server = Some((ip, port));
                        info.role = Role::Server;
                    }
                }
            }
            "pipe" | "pipe2" if res >= 0 => {
                for fd in [int("fd1"), int("fd2")].into_iter().flatten() {
                    self.create(event.tid, pid, fd, FdInfo::new(FdType::Fifo, String::new()));
                }
            }
            "dup" | "dup2" | "dup3" | "fcntl" if res >= 0 => {
                let from = int("oldfd").or(int("fd")).unwrap_or(enter_fd);
                let is_dup = event.info.name != "fcntl"
                    || matches!(
                        event.param_named("cmd").and_then(|p| p.value().as_u64()),
                        Some(1 | 26)
                    );
                if is_dup
                    && res != from
                    && let Some(info) = self.get(pid, from).cloned()
                {
                    self.create(event.tid, pid, res, info);
                }
            }
            "close" if res >= 0 => {
                self.closing = Some((pid, enter_fd));
            }
            _ => {}
        }
    }

    fn get_mut(&mut self, pid: i64, fd: i64) -> Option<&mut FdInfo> {
        self.tables.get_mut(&pid)?.get_mut(&fd)
    }

    fn insert(&mut self, pid: i64, fd: i64, info: FdInfo) {
        self.tables.entry(pid).or_default().insert(fd, info);
    }

    /// A new descriptor `fd`, which the exit event of `tid` is then about.
    fn create(&mut self, tid: i64, pid: i64, fd: i64, info: FdInfo) {
        self.insert(pid, fd, info);
        self.last.entry(tid).or_default().fd = fd;
    }
}

/// Sets a socket's name, kind and endpoints from a tuple (`src` the
/// caller's side for a client, the peer's for a server).
fn set_tuple(info: &mut FdInfo, src: SockAddr<'_>, dst: SockAddr<'_>, role: Role) {
    match (src, dst) {
        (SockAddr::Ip(sip, sport), SockAddr::Ip(dip, dport)) => {
            info.name = tuple_name(sip, sport, dip, dport);
            if matches!(info.kind, FdType::Unknown | FdType::Ipv4 | FdType::Ipv6) {
                info.kind = if sip.is_ipv4() {
                    FdType::Ipv4
                } else {
                    FdType::Ipv6
                };
            }
            // The tuple runs from the client to the server, whichever side
            // the process is on.
            info.client = Some((sip, sport));
            info.server = Some((dip, dport));
            info.role = role;
        }
        (SockAddr::Unix(source, path), SockAddr::Unix(destination, _)) => {
            info.kind = FdType::Unix;
            info.name = unix_name(source, destination, &String::from_utf8_lossy(path));
        }
        _ => {}
    }
}

fn text(v: ParamValue<'_>) -> Option<String> {
    match v {
        ParamValue::Str(b) | ParamValue::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
        _ => None,
    }
}

/// `name` made absolute against directory `base` (kept as is when already
/// absolute or when there is no base).
fn join(base: &str, name: &str) -> String {
    if name.starts_with('/') || base.is_empty() {
        return name.to_owned();
    }
    if base.ends_with('/') {
        format!("{base}{name}")
    } else {
        format!("{base}/{name}")
    }
}
