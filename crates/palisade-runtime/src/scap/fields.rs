//! The Falco fields of a capture's events, as libsinsp extracts them: an
//! event record plus the state kept so far ([`CaptureState`]: threads,
//! users) give one JSON object per shown event, with the field names and
//! value forms of `sysdig -j` (and of the corpus's `<capture>.events.jsonl`),
//! which [`FlatEventsBuilder`](crate::event::FlatEventsBuilder) turns into
//! events the rules run on.
//!
//! [`FIELDS`] lists the fields derived; every other field is absent, as a
//! field libsinsp cannot derive from a capture is.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::containers::{ContainerInfo, ContainerTable};
use super::event::{Param, ParamValue, RawEvent};
use super::event_info::{ParamFormat, ParamType};
use super::fds::{FdInfo, FdTable, FdType, Role, fd_bits};
use super::metadata::Metadata;
use super::threads::{ThreadInfo, ThreadTable};

/// The fields each event carries (`null` when the event has no value), in
/// the corpus's order.
pub const FIELDS: &[&str] = &[
    "evt.num",
    "evt.type",
    "evt.dir",
    "evt.res",
    "evt.rawres",
    "evt.is_open_read",
    "evt.is_open_write",
    "evt.is_open_exec",
    "evt.arg.cmd",
    "evt.arg.domain",
    "evt.arg.filename",
    "evt.arg.flags",
    "evt.arg.mode",
    "evt.arg.name",
    "evt.arg.newpath",
    "evt.arg.oldpath",
    "evt.arg.path",
    "evt.arg.request",
    "evt.arg.target",
    "evt.arg.uid",
    "proc.name",
    "proc.pname",
    "proc.cmdline",
    "proc.pcmdline",
    "proc.args",
    "proc.exe",
    "proc.exepath",
    "proc.cwd",
    "proc.tty",
    "proc.vpid",
    "proc.duration",
    "proc.aname[1]",
    "proc.aname[2]",
    "proc.aname[3]",
    "proc.aname[4]",
    "proc.aname[5]",
    "fd.name",
    "fd.directory",
    "fd.filename",
    "fd.typechar",
    "fd.type",
    "fd.num",
    "fd.sip",
    "fd.cip",
    "fd.sport",
    "fd.cport",
    "fd.l4proto",
    "fd.connected",
    "fd.name_changed",
    "fd.sockfamily",
    "user.name",
    "user.uid",
    "user.loginuid",
    "container.id",
    "container.image.repository",
    "container.privileged",
    "container.mount.dest[/]",
    "container.mount.dest[/etc]",
    "container.mount.dest[/etc/kubernetes]",
    "container.mount.dest[/etc/kubernetes/manifests]",
    "container.mount.dest[/home/admin]",
    "container.mount.dest[/proc*]",
    "container.mount.dest[/root*]",
    "container.mount.dest[/run/containerd/containerd.sock]",
    "container.mount.dest[/var/lib/kubelet]",
    "container.mount.dest[/var/lib/kubelet/pki]",
    "container.mount.dest[/var/run/crio/crio.sock]",
    "container.mount.dest[/var/run/docker.sock]",
    "k8s.ns.name",
    "k8s.pod.name",
    "proc.aname",
    "fd.snet",
    "fd.cnet",
    "fd.rnet",
];

/// `PPM_O_*` bits of open flags.
const O_RDONLY: u64 = 1 << 0;
const O_WRONLY: u64 = 1 << 1;
const O_CREAT: u64 = 1 << 2;
const O_TMPFILE: u64 = 1 << 13;
/// Execute bits of a mode (`PPM_S_IX*`).
const S_IXANY: u64 = (1 << 6) | (1 << 3) | 1;

/// How far `proc.aname` (without index) walks up.
const MAX_ANAME: usize = 64;

/// What libsinsp knows while reading a capture: the thread table and the
/// user names of the capture's user list.
#[derive(Debug, Clone, Default)]
pub struct CaptureState {
    /// The threads.
    pub threads: ThreadTable,
    /// The descriptors.
    pub fds: FdTable,
    /// The containers.
    pub containers: ContainerTable,
    users: HashMap<u32, String>,
}

impl CaptureState {
    /// The state the metadata blocks describe.
    pub fn from_metadata(metadata: &Metadata) -> Self {
        Self {
            threads: ThreadTable::from_metadata(metadata),
            fds: FdTable::from_metadata(metadata),
            containers: ContainerTable::default(),
            users: metadata
                .credentials
                .users
                .iter()
                .map(|u| (u.uid, u.name.clone()))
                .collect(),
        }
    }

    /// Applies what `event` changes; call it for every event record, in
    /// order, before [`CaptureState::fields`] on it.
    pub fn update(&mut self, event: &RawEvent<'_>) {
        self.threads.update(event);
        self.containers.update(event);
        if event.direction() == '<'
            && matches!(event.info.name, "clone" | "fork" | "vfork" | "clone3")
        {
            // A new process starts with a copy of its parent's descriptors.
            let res = event
                .param(0)
                .and_then(|p| p.value().as_i64())
                .unwrap_or(-1);
            let child = if res == 0 { event.tid } else { res };
            if let Some(c) = self.threads.get(child).filter(|_| res >= 0) {
                let parent = self.threads.get(c.ptid).map_or(c.ptid, |p| p.pid);
                self.fds.fork(parent, c.pid);
            }
        }
        let (pid, cwd) = self
            .threads
            .get(event.tid)
            .map_or((event.tid, String::new()), |t| (t.pid, self.cwd(t)));
        self.fds.update(event, pid, &cwd);
    }

    /// The values of [`FIELDS`] for `event` (after
    /// [`CaptureState::update`] with it): one JSON object, `null` for a
    /// field the event has no value for.
    pub fn fields(&self, event: &RawEvent<'_>) -> Map<String, Value> {
        let mut out = Map::with_capacity(FIELDS.len());
        let thread = self.threads.get(event.tid);
        for &field in FIELDS {
            out.insert(field.to_owned(), self.field(event, thread, field));
        }
        out
    }

    fn field(&self, event: &RawEvent<'_>, thread: Option<&ThreadInfo>, field: &str) -> Value {
        if field.starts_with("fd.") {
            return self.fd_field(event, thread, field);
        }
        if field.starts_with("k8s.") || field.starts_with("container.") && field != "container.id" {
            let container = thread.and_then(|t| self.containers.get(&container_id(&t.cgroups)));
            return container.map_or(Value::Null, |c| container_field(c, field));
        }
        if let Some(name) = field.strip_prefix("evt.arg.") {
            return event
                .param_named(name)
                .and_then(|p| param_text(&p))
                .map_or(Value::Null, Value::String);
        }
        let tid = event.tid;
        let proc_str = |name: &str, arg: Option<&str>| {
            self.threads
                .proc_field(tid, name, arg)
                .map_or(Value::Null, Value::String)
        };
        match field {
            "evt.num" => event.num.into(),
            "evt.type" => event.type_name().into(),
            "evt.dir" => event.direction().to_string().into(),
            "evt.res" => event.res().map_or(Value::Null, |r| r.into_owned().into()),
            "evt.rawres" => event.rawres().map_or(Value::Null, Into::into),
            "evt.is_open_read" => open_flag(event, |f, _| f & O_RDONLY != 0).into(),
            "evt.is_open_write" => open_flag(event, |f, _| f & O_WRONLY != 0).into(),
            "evt.is_open_exec" => open_flag(event, |f, mode| {
                f & (O_TMPFILE | O_CREAT) != 0 && mode & S_IXANY != 0
            })
            .into(),
            "proc.exepath" => thread.map_or(Value::Null, |t| t.exepath.clone().into()),
            "proc.cwd" => thread.map_or(Value::Null, |t| self.cwd(t).into()),
            "proc.tty" => thread.map_or(Value::Null, |t| t.tty.into()),
            "proc.vpid" => thread.and_then(|t| t.vpid).map_or(Value::Null, Into::into),
            "proc.duration" => thread
                .and_then(|t| t.clone_ts)
                .map_or(Value::Null, |ts| event.ts.saturating_sub(ts).into()),
            "user.uid" => thread.map_or(Value::Null, |t| t.uid.unwrap_or(u32::MAX).into()),
            "user.name" => thread
                .and_then(|t| t.uid)
                .and_then(|uid| self.users.get(&uid))
                .map_or(Value::Null, |n| n.clone().into()),
            "user.loginuid" => thread.map_or(Value::Null, |t| {
                // A 32-bit id, compared as signed (`-1`: none).
                i64::from(t.loginuid.unwrap_or(u32::MAX) as i32).into()
            }),
            "container.id" => thread.map_or(Value::Null, |t| container_id(&t.cgroups).into()),
            "proc.aname" => match thread {
                Some(_) => Value::Array(
                    (1..=MAX_ANAME)
                        .map_while(|n| {
                            self.threads
                                .proc_field(tid, "proc.aname", Some(&n.to_string()))
                        })
                        .map(Value::String)
                        .collect(),
                ),
                None => Value::Null,
            },
            _ => match field.split_once('[') {
                Some((name, arg)) => proc_str(name, arg.strip_suffix(']')),
                None => proc_str(field, None),
            },
        }
    }

    /// An `fd.*` field: absent for events about no descriptor; from the
    /// descriptor table when the descriptor is known, otherwise what
    /// libsinsp makes of the event alone.
    fn fd_field(&self, event: &RawEvent<'_>, thread: Option<&ThreadInfo>, field: &str) -> Value {
        let Some(thread) = thread.filter(|_| fd_bits(event) != 0) else {
            return Value::Null;
        };
        let num = self.fds.last_fd(event.tid);
        if field == "fd.num" {
            return num.into();
        }
        match self.fds.get(thread.pid, num) {
            Some(_) if field == "fd.name" && self.fds.event_name().is_some() => {
                self.fds.event_name().map_or(Value::Null, Into::into)
            }
            Some(info) => fd_info_field(info, field),
            None => fd_from_event(event, field),
        }
    }

    /// A thread's working directory is its process's.
    fn cwd(&self, t: &ThreadInfo) -> String {
        self.threads
            .get(t.pid)
            .map_or_else(|| t.cwd.clone(), |main| main.cwd.clone())
    }
}

/// A field of a known descriptor.
fn fd_info_field(info: &FdInfo, field: &str) -> Value {
    let server = matches!(info.kind, FdType::Ipv4Server | FdType::Ipv6Server);
    let endpoints = info.kind.is_ip() && info.role != Role::None;
    let sip = info
        .server
        .filter(|_| endpoints)
        .map(|(ip, _)| ip.to_string());
    let cip = info
        .client
        .filter(|_| endpoints && !server)
        .map(|(ip, _)| ip.to_string());
    let opt = |v: Option<String>| v.map_or(Value::Null, Value::String);
    match field {
        "fd.name" => info.name.clone().into(),
        "fd.directory" => match info.kind {
            FdType::File => directory(&info.name).into(),
            FdType::Directory => info.name.clone().into(),
            _ => Value::Null,
        },
        "fd.filename" if info.is_file() => filename(&info.name).into(),
        "fd.typechar" => info.kind.typechar().to_string().into(),
        "fd.type" => info.kind.name().map_or(Value::Null, Into::into),
        "fd.sip" | "fd.snet" => opt(sip),
        // The remote end: the server's address, for a connected socket.
        "fd.rnet" => opt(sip.filter(|_| !server)),
        "fd.cip" | "fd.cnet" => opt(cip),
        "fd.sport" => info
            .server
            .filter(|_| endpoints)
            .map_or(Value::Null, |(_, p)| p.into()),
        "fd.cport" if server => 0.into(),
        "fd.cport" => info
            .client
            .filter(|_| endpoints)
            .map_or(Value::Null, |(_, p)| p.into()),
        "fd.l4proto" => info.l4proto_name().into(),
        "fd.connected" => info.connected.into(),
        "fd.name_changed" => false.into(),
        "fd.sockfamily" => info.sockfamily().map_or(Value::Null, Into::into),
        _ => Value::Null,
    }
}

/// A field of an event about a descriptor the table does not hold: the
/// type its creating call implies, and the name an exit event carries.
fn fd_from_event(event: &RawEvent<'_>, field: &str) -> Value {
    let name = event.info.name;
    let exit = event.direction() == '<';
    let named = || -> Option<String> {
        if !exit {
            return None;
        }
        Some(match name {
            "open" | "creat" | "connect" | "accept" | "accept4" => event
                .param(1)
                .and_then(|p| param_text(&p))
                .unwrap_or_default(),
            _ => String::new(),
        })
    };
    match field {
        "fd.typechar" => match name {
            "open" | "openat" | "openat2" | "creat" => "f",
            "socket" | "accept" | "accept4" => "4",
            "pipe" | "pipe2" => "p",
            _ => "o",
        }
        .into(),
        "fd.name" => named().map_or(Value::Null, Into::into),
        "fd.directory" => named().map_or(Value::Null, |n| directory(&n).into()),
        _ => Value::Null,
    }
}

/// `fd.directory` of a file: its name up to the last `/` (`/` for a name
/// without one, or right under the root).
fn directory(name: &str) -> String {
    match name.rfind('/') {
        Some(pos) if pos != 0 => {
            if pos < name.len() - 1 {
                name.get(..pos).unwrap_or(name).to_owned()
            } else {
                name.to_owned()
            }
        }
        _ => "/".to_owned(),
    }
}

/// `fd.filename` of a file: its name after the last `/`.
fn filename(name: &str) -> String {
    match name.rfind('/') {
        Some(pos) if pos < name.len() - 1 => name.get(pos + 1..).unwrap_or(name).to_owned(),
        _ => name.to_owned(),
    }
}

/// A `container.*` or `k8s.*` field of a container the capture described.
fn container_field(c: &ContainerInfo, field: &str) -> Value {
    let opt = |v: &Option<String>| v.clone().map_or(Value::Null, Value::String);
    match field {
        "container.image.repository" => opt(&c.image_repository),
        "container.privileged" => c.privileged.map_or(Value::Null, Value::Bool),
        "k8s.ns.name" => opt(&c.pod_namespace),
        "k8s.pod.name" => opt(&c.pod_name),
        _ => field
            .strip_prefix("container.mount.dest[")
            .and_then(|s| s.strip_suffix(']'))
            .and_then(|source| c.mount_dest(source))
            .map_or(Value::Null, Into::into),
    }
}

/// The container a thread runs in, from its cgroups: the short (12
/// characters) id of a Docker, containerd or CRI-O container, `host`
/// otherwise.
fn container_id(cgroups: &[String]) -> String {
    for cg in cgroups {
        let path = cg.split_once('=').map_or(cg.as_str(), |(_, p)| p);
        for part in path.split('/') {
            let part = part
                .trim_start_matches("docker-")
                .trim_start_matches("crio-")
                .trim_start_matches("cri-containerd-")
                .trim_end_matches(".scope");
            if part.len() == 64 && part.bytes().all(|b| b.is_ascii_hexdigit()) {
                return part.get(..12).unwrap_or(part).to_owned();
            }
        }
    }
    "host".to_owned()
}

/// `evt.is_open_*`: `test(flags, mode)` on the flags of the open events
/// libsinsp looks at (open's exit, openat's enter, openat/openat2's newer
/// exits); false for every other event.
fn open_flag(event: &RawEvent<'_>, test: impl Fn(u64, u64) -> bool) -> bool {
    let opens = matches!(
        (event.info.name, event.direction()),
        ("open", '<') | ("openat", '>') | ("openat" | "openat2", '<')
    );
    if !opens {
        return false;
    }
    let flags = event.param_named("flags").and_then(|p| p.value().as_u64());
    let mode = event.param_named("mode").and_then(|p| p.value().as_u64());
    flags.is_some_and(|f| test(f, mode.unwrap_or(0)))
}

/// A parameter as `evt.arg.NAME` gives it: strings as they are, flags and
/// enumerations by their names, numbers in the parameter's format.
fn param_text(p: &Param<'_>) -> Option<String> {
    let value = p.value();
    let names = p.info.map_or(&[][..], |i| i.value_names());
    let format = p.info.map_or(ParamFormat::Na, |i| i.format);
    match (p.kind(), value) {
        (_, ParamValue::Empty) => None,
        (_, ParamValue::Str(b)) => Some(String::from_utf8_lossy(b).into_owned()),
        (ParamType::Flags8 | ParamType::Flags16 | ParamType::Flags32 | ParamType::Mode, v)
            if !names.is_empty() =>
        {
            let v = v.as_u64()?;
            let text = flag_names(v, names);
            Some(if text.is_empty() {
                number(v, format)
            } else {
                text
            })
        }
        (ParamType::Enumflags8 | ParamType::Enumflags16 | ParamType::Enumflags32, v) => {
            let v = v.as_u64()?;
            Some(
                names
                    .iter()
                    .find(|(_, value)| *value == v)
                    .map_or_else(|| number(v, format), |(n, _)| (*n).to_owned()),
            )
        }
        (_, ParamValue::Int(i)) if format != ParamFormat::Hex && format != ParamFormat::Oct => {
            Some(i.to_string())
        }
        (_, v @ (ParamValue::Int(_) | ParamValue::UInt(_))) => Some(number(v.as_u64()?, format)),
        _ => None,
    }
}

/// A number as libsinsp prints it: `PF_HEX` in upper-case digits without
/// a prefix, `PF_OCT` with a leading zero, decimal otherwise.
fn number(v: u64, format: ParamFormat) -> String {
    match format {
        ParamFormat::Hex => format!("{v:X}"),
        ParamFormat::Oct if v == 0 => "0".to_owned(),
        ParamFormat::Oct => format!("0{v:o}"),
        _ => v.to_string(),
    }
}

/// Flag names as libsinsp joins them: in table order, a flag is named when
/// all its bits are set (and then removed, so that `O_RDWR` hides
/// `O_RDONLY`), a zero flag only for a zero value; an entry equal to the
/// whole value ends the walk with its name.
fn flag_names(value: u64, names: &[(&str, u64)]) -> String {
    let mut left = value;
    let mut out = String::new();
    let push = |name: &str, out: &mut String| {
        if !out.is_empty() {
            out.push('|');
        }
        out.push_str(name);
    };
    for &(name, flag) in names {
        if flag == value {
            push(name, &mut out);
            break;
        }
        if (flag == 0 && value == 0) || (flag != 0 && left & flag == flag && left != 0) {
            push(name, &mut out);
            left &= !flag;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_named_as_libsinsp_names_them() {
        let names = [
            ("O_RDWR", 3),
            ("O_WRONLY", 2),
            ("O_RDONLY", 1),
            ("O_CLOEXEC", 4096),
        ];
        assert_eq!(flag_names(4097, &names), "O_RDONLY|O_CLOEXEC");
        assert_eq!(flag_names(3, &names), "O_RDWR");
        assert_eq!(flag_names(0, &names), "");
        let access = [("F_OK", 0), ("R_OK", 4), ("W_OK", 2), ("X_OK", 1)];
        assert_eq!(flag_names(0, &access), "F_OK");
        assert_eq!(flag_names(4, &access), "R_OK");
        assert_eq!(flag_names(6, &access), "R_OK|W_OK");
    }

    #[test]
    fn numbers_take_their_format() {
        assert_eq!(number(0x541b, ParamFormat::Hex), "541B");
        assert_eq!(number(0o666, ParamFormat::Oct), "0666");
        assert_eq!(number(0, ParamFormat::Oct), "0");
        assert_eq!(number(0o1000, ParamFormat::Oct), "01000");
        assert_eq!(number(1000, ParamFormat::Dec), "1000");
    }

    #[test]
    fn container_ids_come_from_cgroups() {
        let id = "697956520d89f5a9c2b3e8b1c0e2b9a1d3c4e5f60718293a4b5c6d7e8f901234";
        assert_eq!(container_id(&[format!("cpu=/docker/{id}")]), "697956520d89");
        assert_eq!(container_id(&["cpu=/user.slice".to_owned()]), "host");
    }
}
