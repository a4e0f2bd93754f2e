//! The thread table libsinsp keeps while reading a capture, rebuilt from the
//! process list and kept current by the events that change it: `clone`,
//! `fork`, `vfork`, `clone3` (a new thread), `execve`/`execveat` (a new
//! program), `procexit` (the thread is gone after its last event).
//!
//! This is the first part of the state (issue 19, increment 2): the fields
//! it fills are `proc.name`, `proc.exe`, `proc.args`, `proc.cmdline`,
//! `proc.pname`, `proc.pcmdline` and `proc.aname[N]` ([`ThreadTable::proc_field`]).

use std::collections::HashMap;

use super::event::{ParamValue, RawEvent};
use super::metadata::{Metadata, ThreadEntry, strings};

/// What the table knows about one thread.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThreadInfo {
    /// Thread id.
    pub tid: i64,
    /// Process id (thread group leader).
    pub pid: i64,
    /// Parent thread id.
    pub ptid: i64,
    /// Command name (`proc.name`).
    pub comm: String,
    /// `argv[0]` (`proc.exe`).
    pub exe: String,
    /// Arguments after `argv[0]` (`proc.args`).
    pub args: Vec<String>,
    /// Made up for an event of a thread the capture never described, as
    /// libsinsp does: name and executable `<NA>`, no parent. A clone or
    /// execve of the thread replaces it.
    pub placeholder: bool,
    /// User id (`user.uid`), when known.
    pub uid: Option<u32>,
    /// Login user id (`user.loginuid`), when known.
    pub loginuid: Option<u32>,
    /// Process id in its pid namespace (`proc.vpid`), when known.
    pub vpid: Option<i64>,
    /// Working directory (`proc.cwd`).
    pub cwd: String,
    /// Full path of the executable (`proc.exepath`).
    pub exepath: String,
    /// Controlling terminal (`proc.tty`).
    pub tty: u32,
    /// Control groups, `subsystem=path` each (the container id is read
    /// from them).
    pub cgroups: Vec<String>,
    /// When the thread was created (nanoseconds since the epoch), when the
    /// capture saw it happen (`proc.duration`).
    pub clone_ts: Option<u64>,
}

impl From<&ThreadEntry> for ThreadInfo {
    fn from(t: &ThreadEntry) -> Self {
        Self {
            tid: t.tid,
            pid: t.pid,
            ptid: t.ptid,
            comm: t.comm.clone(),
            exe: t.exe.clone(),
            args: t.args.clone(),
            placeholder: false,
            uid: Some(t.uid),
            loginuid: Some(t.loginuid),
            vpid: (t.vpid >= 0).then_some(t.vpid),
            cwd: with_slash(&t.cwd),
            exepath: t.exepath.clone(),
            tty: t.tty,
            cgroups: t.cgroups.clone(),
            clone_ts: None,
        }
    }
}

impl ThreadInfo {
    /// `proc.cmdline`: the name, then the arguments, separated by blanks.
    pub fn cmdline(&self) -> String {
        let mut out = self.comm.clone();
        for a in &self.args {
            out.push(' ');
            out.push_str(a);
        }
        out
    }
}

/// A directory as libsinsp keeps it: ending with `/` (empty stays empty).
fn with_slash(dir: &str) -> String {
    if dir.is_empty() || dir.ends_with('/') {
        dir.to_owned()
    } else {
        format!("{dir}/")
    }
}

/// The name and executable of a thread libsinsp knows nothing about.
const NA: &str = "<NA>";

/// `PPM_CL_CLONE_THREAD`: the new thread joins the caller's process.
const CLONE_THREAD: u64 = 1 << 13;

/// How far `proc.aname` walks up (libsinsp's bound on ancestor loops).
const MAX_ANCESTORS: usize = 64;

/// The threads of a capture, by thread id.
#[derive(Debug, Clone, Default)]
pub struct ThreadTable {
    threads: HashMap<i64, ThreadInfo>,
    /// A thread whose `procexit` was the last event: removed before the
    /// next event, as libsinsp removes it.
    exiting: Option<i64>,
    /// The file each thread's pending `execve` enter named (newer event
    /// versions carry it): the program's path once the exit succeeds.
    exec_filename: HashMap<i64, String>,
}

/// Event codes that create a thread on their exit: clone (all versions),
/// fork, vfork, clone3.
fn creates_thread(name: &str) -> bool {
    matches!(name, "clone" | "fork" | "vfork" | "clone3")
}

/// The program a clone or execve exit describes: `exe`, `args` (split at
/// NULs) and `comm` when the event version has it.
fn program(event: &RawEvent<'_>) -> (String, Vec<String>, Option<String>) {
    let named = |n: &str| event.param_named(n).map(|p| p.value());
    let exe = named("exe").and_then(text).unwrap_or_default();
    let args = match named("args") {
        Some(ParamValue::Bytes(b) | ParamValue::Str(b)) => strings(b),
        _ => Vec::new(),
    };
    (exe, args, named("comm").and_then(text))
}

fn text(v: ParamValue<'_>) -> Option<String> {
    match v {
        ParamValue::Str(b) | ParamValue::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
        _ => None,
    }
}

impl ThreadTable {
    /// The table the metadata's process list describes.
    pub fn from_metadata(metadata: &Metadata) -> Self {
        Self {
            threads: metadata
                .threads
                .values()
                .map(|t| (t.tid, ThreadInfo::from(t)))
                .collect(),
            exiting: None,
            exec_filename: HashMap::new(),
        }
    }

    /// The thread `tid`.
    pub fn get(&self, tid: i64) -> Option<&ThreadInfo> {
        self.threads.get(&tid)
    }

    /// The number of threads.
    pub fn len(&self) -> usize {
        self.threads.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.threads.is_empty()
    }

    /// The `n`-th ancestor of `tid` (1 = the parent).
    pub fn ancestor(&self, tid: i64, n: usize) -> Option<&ThreadInfo> {
        let mut cur = self.threads.get(&tid)?;
        for _ in 0..n.min(MAX_ANCESTORS) {
            cur = self.threads.get(&cur.ptid)?;
        }
        Some(cur)
    }

    /// Applies what `event` changes. Call it for every event record, in
    /// order, before reading fields of that event.
    pub fn update(&mut self, event: &RawEvent<'_>) {
        if let Some(tid) = self.exiting.take() {
            self.threads.remove(&tid);
        }
        if event.shown {
            self.threads.entry(event.tid).or_insert_with(|| ThreadInfo {
                tid: event.tid,
                pid: event.tid,
                ptid: -1,
                comm: NA.to_owned(),
                exe: NA.to_owned(),
                placeholder: true,
                ..ThreadInfo::default()
            });
        }
        if event.direction() == '>' {
            match event.info.name {
                "procexit" => self.exiting = Some(event.tid),
                "execve" | "execveat" => {
                    let filename = event.param_named("filename").and_then(|p| text(p.value()));
                    match filename {
                        Some(f) => self.exec_filename.insert(event.tid, f),
                        None => self.exec_filename.remove(&event.tid),
                    };
                }
                _ => {}
            }
            return;
        }
        let name = event.info.name;
        let res = event.param(0).and_then(|p| p.value().as_i64());
        if creates_thread(name) {
            self.clone_exit(event, res.unwrap_or(-1));
        } else if matches!(name, "execve" | "execveat") && res == Some(0) {
            self.execve_exit(event);
        }
    }

    fn clone_exit(&mut self, event: &RawEvent<'_>, res: i64) {
        let named = |n: &str| event.param_named(n).map(|p| p.value());
        let (exe, args, comm) = program(event);
        let pid = named("pid").and_then(|v| v.as_i64()).unwrap_or(0);
        let ptid = named("ptid").and_then(|v| v.as_i64()).unwrap_or(0);
        let (tid, parent) = match res {
            // In the child: the event's thread is the new one.
            0 => (event.tid, ptid),
            // In the parent: the new thread's id is the result.
            child if child > 0 => (child, event.tid),
            _ => return,
        };
        if self.threads.get(&tid).is_some_and(|t| !t.placeholder) {
            // The other side's exit came first and created it; libsinsp
            // keeps that entry (a thread's parent stays the caller).
            return;
        }
        // A thread (`CLONE_THREAD`) joins the caller's process; a process
        // is its own.
        let flags = named("flags").and_then(|v| v.as_u64()).unwrap_or(0);
        let pid = if res == 0 || flags & CLONE_THREAD != 0 {
            pid
        } else {
            tid
        };
        let base = self.threads.get(&parent).cloned().unwrap_or_default();
        let comm = comm.unwrap_or_else(|| base.comm.clone());
        let uid = named("uid").and_then(|v| v.as_u64()).map(|u| u as u32);
        let cgroups = match named("cgroups") {
            Some(ParamValue::Bytes(b) | ParamValue::Str(b)) => strings(b),
            _ => base.cgroups.clone(),
        };
        let vpid = named("vpid").and_then(|v| v.as_i64()).or(base.vpid);
        self.threads.insert(
            tid,
            ThreadInfo {
                tid,
                pid,
                ptid: parent,
                comm,
                exe,
                args,
                placeholder: false,
                uid: uid.or(base.uid),
                loginuid: base.loginuid,
                vpid,
                // sysdig 0.29.3 shows no working directory for threads the
                // capture saw created (nor after their execve).
                cwd: String::new(),
                exepath: base.exepath.clone(),
                tty: base.tty,
                cgroups,
                clone_ts: Some(event.ts),
            },
        );
    }

    fn execve_exit(&mut self, event: &RawEvent<'_>) {
        let named = |n: &str| event.param_named(n).map(|p| p.value());
        let (exe, args, comm) = program(event);
        let pid = named("pid").and_then(|v| v.as_i64());
        let ptid = named("ptid").and_then(|v| v.as_i64());
        let thread = self.threads.entry(event.tid).or_insert_with(|| ThreadInfo {
            tid: event.tid,
            ..ThreadInfo::default()
        });
        thread.comm = comm.unwrap_or_else(|| exe.rsplit('/').next().unwrap_or_default().to_owned());
        thread.exe = exe;
        thread.args = args;
        thread.placeholder = false;
        thread.exepath = self.exec_filename.remove(&event.tid).unwrap_or_default();
        if let Some(ParamValue::Bytes(b) | ParamValue::Str(b)) = named("cgroups") {
            thread.cgroups = strings(b);
        }
        if let Some(tty) = named("tty").and_then(|v| v.as_u64()) {
            thread.tty = tty as u32;
        }
        if let Some(loginuid) = named("loginuid").and_then(|v| v.as_u64()) {
            thread.loginuid = Some(loginuid as u32);
        }
        if let Some(pid) = pid {
            thread.pid = pid;
        }
        if let Some(ptid) = ptid {
            thread.ptid = ptid;
        }
    }

    /// The value of a `proc.*` field for an event of thread `tid` (after
    /// [`ThreadTable::update`] with that event): `proc.name`, `proc.exe`,
    /// `proc.args`, `proc.cmdline`, `proc.pname`, `proc.pcmdline`,
    /// `proc.aname` with an index argument. `None` when absent.
    pub fn proc_field(&self, tid: i64, field: &str, arg: Option<&str>) -> Option<String> {
        let t = self.threads.get(&tid)?;
        match (field, arg) {
            ("proc.name", None) => Some(t.comm.clone()),
            ("proc.exe", None) => Some(t.exe.clone()),
            ("proc.args", None) => Some(t.args.join(" ")),
            ("proc.cmdline", None) => Some(t.cmdline()),
            ("proc.pname", None) => self.ancestor(tid, 1).map(|p| p.comm.clone()),
            ("proc.pcmdline", None) => self.ancestor(tid, 1).map(ThreadInfo::cmdline),
            // Ancestors are the process's: from its main thread up (a
            // thread's `proc.pname` is its creator, its `proc.aname[1]`
            // the process's parent).
            ("proc.aname", Some(n)) => {
                let n: usize = n.parse().ok()?;
                let main = self.threads.get(&t.pid).map_or(tid, |m| m.tid);
                self.ancestor(main, n).map(|a| a.comm.clone())
            }
            _ => None,
        }
    }
}
