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
                args: Vec::new(),
                placeholder: true,
            });
        }
        if event.direction() == '>' {
            if event.info.name == "procexit" {
                self.exiting = Some(event.tid);
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
        let comm = comm
            .or_else(|| self.threads.get(&parent).map(|p| p.comm.clone()))
            .unwrap_or_default();
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
