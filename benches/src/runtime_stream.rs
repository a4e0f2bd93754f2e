//! The event streams of the runtime benchmarks (shared by `runtime` and
//! `runtime_pipeline`): the official rules files from the corpus, and
//! deterministic synthetic streams.

use std::path::{Path, PathBuf};

use palisade::runtime::Schema;
use palisade::runtime::{FlatEvent, FlatEvents};
use palisade::runtime::{Loaded, Loader};
use palisade::runtime::{MatchMode, RuleSet};

/// The three official rules files.
pub const FILES: [&str; 3] = [
    "falco_rules.yaml",
    "falco-incubating_rules.yaml",
    "falco-sandbox_rules.yaml",
];

/// The official rules files' names and texts, read from `falco` (the
/// corpus's Falco folder), if they are there.
pub fn rule_texts(falco: &Path) -> Option<Vec<(String, String)>> {
    FILES
        .iter()
        .map(|f| {
            let path = falco.join("rules").join(f);
            std::fs::read_to_string(&path)
                .ok()
                .map(|t| ((*f).to_owned(), t))
        })
        .collect()
}

/// Loads rules texts in order.
pub fn load(schema: &Schema, texts: &[(String, String)]) -> Loaded {
    let mut loader = Loader::with_checker(schema);
    for (name, text) in texts {
        loader.add_str(name, text);
    }
    loader.finish()
}

/// Compiles the enabled rules (the one path every command takes).
///
/// # Panics
///
/// When a rule does not compile: the official rules all do (the runtime's
/// `official_rules_compile` test), and a benchmark of a partial ruleset
/// would measure something else.
#[expect(
    clippy::panic,
    reason = "a benchmark setup failure; the message names the rule"
)]
pub fn build(schema: &Schema, loaded: &Loaded, mode: MatchMode) -> RuleSet {
    match RuleSet::from_loaded(loaded, schema, mode) {
        Ok(rules) => rules,
        Err(e) => panic!("the official rules compile: {e}"),
    }
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let i = (self.next() % items.len() as u64) as usize;
        items.get(i).copied().unwrap_or("")
    }
}

const PROCS: &[&str] = &[
    "nginx",
    "bash",
    "sh",
    "python3",
    "java",
    "node",
    "curl",
    "cat",
    "sshd",
    "containerd",
    "kubelet",
    "nc",
    "sudo",
    "apt-get",
    "ls",
    "postgres",
    "redis-server",
    "vi",
];
const FILES_: &[&str] = &[
    "/etc/passwd",
    "/etc/shadow",
    "/var/log/app.log",
    "/tmp/x",
    "/usr/lib/libc.so.6",
    "/proc/self/status",
    "/etc/ld.so.cache",
    "/root/.ssh/authorized_keys",
    "/dev/null",
    "/home/user/.bashrc",
    "/var/run/docker.sock",
    "/etc/kubernetes/admin.conf",
    "/usr/bin/python3",
    "/data/db/file.wt",
];
const IPS: &[&str] = &[
    "10.0.0.12",
    "172.17.0.2",
    "192.168.1.40",
    "8.8.8.8",
    "127.0.0.1",
    "2001:db8::7",
];
const CONTAINERS: &[&str] = &["host", "3ad7b26ded6d", "f00dcafe0001"];
const IMAGES: &[&str] = &[
    "docker.io/library/nginx",
    "quay.io/prometheus/node-exporter",
    "gcr.io/app/api",
    "registry.k8s.io/pause",
];
const QUIET_TYPES: &[&str] = &[
    "read",
    "write",
    "close",
    "mmap",
    "fstat",
    "poll",
    "futex",
    "clock_gettime",
    "lseek",
    "recvfrom",
    "sendto",
    "epoll_wait",
    "munmap",
    "brk",
    "switch",
];

fn event(rng: &mut Rng, num: u64, ty: &str) -> String {
    let proc_name = rng.pick(PROCS);
    let parent = rng.pick(PROCS);
    let file = rng.pick(FILES_);
    let (dir, base) = file.rsplit_once('/').unwrap_or(("/", file));
    let dir = if dir.is_empty() { "/" } else { dir };
    let container = rng.pick(CONTAINERS);
    let image = if container == "host" {
        "null".to_owned()
    } else {
        format!("\"{}\"", rng.pick(IMAGES))
    };
    let is_net = ty == "connect" || ty == "sendto" || ty == "recvfrom";
    let fd = if is_net {
        format!(
            r#""fd.name":"{ip}:{port}","fd.typechar":"4","fd.type":"ipv4","fd.sip":"{ip}","fd.snet":"{ip}","fd.rnet":"{ip}","fd.sport":{port},"fd.l4proto":"tcp","fd.sockfamily":"ip""#,
            ip = rng.pick(IPS),
            port = rng.pick(&["22", "80", "443", "5432", "6443"])
        )
    } else {
        format!(
            r#""fd.name":"{file}","fd.directory":"{dir}","fd.filename":"{base}","fd.typechar":"f","fd.type":"file""#
        )
    };
    let write = rng.next().is_multiple_of(3);
    format!(
        r#"{{"evt.num":{num},"evt.type":"{ty}","evt.dir":"{d}","evt.res":"SUCCESS","evt.rawres":{fdnum},"evt.is_open_read":{r},"evt.is_open_write":{w},"evt.arg.flags":"O_RDONLY|O_CLOEXEC","proc.name":"{proc_name}","proc.exe":"/usr/bin/{proc_name}","proc.exepath":"/usr/bin/{proc_name}","proc.pname":"{parent}","proc.cmdline":"{proc_name} --flag value","proc.args":"--flag value","proc.pcmdline":"{parent} -c script","proc.tty":{tty},"proc.aname[1]":"{parent}","proc.aname[2]":"systemd","proc.aname":["{parent}","systemd"],"proc.vpid":{vpid},{fd},"fd.num":{fdnum},"user.name":"root","user.uid":0,"user.loginuid":-1,"container.id":"{container}","container.image.repository":{image},"container.privileged":false,"k8s.ns.name":"default"}}"#,
        d = if rng.next().is_multiple_of(2) {
            "<"
        } else {
            ">"
        },
        fdnum = rng.next() % 64,
        r = !write,
        w = write,
        tty = if rng.next().is_multiple_of(4) {
            34816
        } else {
            0
        },
        vpid = 1 + rng.next() % 4000,
    )
}

/// `n` events, 1 in 50 an exec/open/connect, the rest quiet types
/// (`read`, `write`, `close` ...) few rules index.
pub fn realistic(schema: &Schema, n: u64) -> Vec<FlatEvent> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let lines: Vec<String> = (1..=n)
        .map(|i| {
            // 1 event in 50 is an exec/open/connect; the rest are quiet types.
            let ty = match rng.next() % 50 {
                0 => rng.pick(&["execve", "openat", "connect", "open"]),
                _ => rng.pick(QUIET_TYPES),
            };
            event(&mut rng, i, ty)
        })
        .collect();
    FlatEvents::parse(&lines.join("\n"), schema)
        .map(FlatEvents::into_events)
        .unwrap_or_default()
}

/// `n` events of only `execve`/`open*`/`connect` with varied fields.
pub fn adversarial(schema: &Schema, n: u64) -> Vec<FlatEvent> {
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let lines: Vec<String> = (1..=n)
        .map(|i| {
            let ty = rng.pick(&["execve", "open", "openat", "openat2", "connect"]);
            event(&mut rng, i, ty)
        })
        .collect();
    FlatEvents::parse(&lines.join("\n"), schema)
        .map(FlatEvents::into_events)
        .unwrap_or_default()
}

/// Every event of the captures under `falco` (the corpus's Falco
/// folder), in file order.
pub fn captures(falco: &Path, schema: &Schema) -> Vec<FlatEvent> {
    let dir = falco.join("captures");
    let mut events = Vec::new();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return events;
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".events.jsonl"))
        .collect();
    paths.sort();
    for path in paths {
        if let Some(parsed) = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| FlatEvents::parse(&t, schema).ok())
        {
            events.extend(parsed.into_events());
        }
    }
    events
}
