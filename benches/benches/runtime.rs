//! Runtime: compile time of the official Falco rules, and events per second
//! on one thread through all their enabled rules.
//!
//! - `runtime/compile/*`: the three official rules files together;
//! - `runtime/match/realistic`: a synthetic stream where most events are
//!   `read`/`write`/`close`-like types few rules index;
//! - `runtime/match/adversarial`: only `execve`/`open*`/`connect` events
//!   with varied fields (every one runs the rules indexed for its type);
//! - `runtime/match/captures`: the corpus captures replayed in a loop
//!   (skipped with a notice when the corpus is absent).

use std::hint::black_box;
use std::path::PathBuf;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use palisade_runtime::event::{FlatEvent, FlatEvents};
use palisade_runtime::fields::Schema;
use palisade_runtime::loader::{Loaded, Loader};
use palisade_runtime::ruleset::{MatchMode, RuleSet, RuleSpec};

fn corpus() -> PathBuf {
    std::env::var_os("PALISADE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"))
        .join("falco")
}

const FILES: [&str; 3] = [
    "falco_rules.yaml",
    "falco-incubating_rules.yaml",
    "falco-sandbox_rules.yaml",
];

fn rule_texts() -> Option<Vec<(String, String)>> {
    FILES
        .iter()
        .map(|f| {
            let path = corpus().join("rules").join(f);
            std::fs::read_to_string(&path)
                .ok()
                .map(|t| ((*f).to_owned(), t))
        })
        .collect()
}

fn load(schema: &Schema, texts: &[(String, String)]) -> Loaded {
    let mut loader = Loader::with_checker(schema);
    for (name, text) in texts {
        loader.add_str(name, text);
    }
    loader.finish()
}

fn build(schema: &Schema, loaded: &Loaded, mode: MatchMode) -> RuleSet {
    let mut builder = RuleSet::builder(schema.clone());
    builder.mode(mode);
    for rule in loaded.rules.iter().filter(|r| r.enabled) {
        let spec = RuleSpec::new(rule.name.clone(), rule.condition.clone(), rule.priority);
        if let Err(e) = builder.add(spec) {
            eprintln!("warning: {e}");
        }
    }
    builder.build()
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

fn realistic(schema: &Schema, n: u64) -> Vec<FlatEvent> {
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

fn adversarial(schema: &Schema, n: u64) -> Vec<FlatEvent> {
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

fn captures(schema: &Schema) -> Vec<FlatEvent> {
    let dir = corpus().join("captures");
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

fn compile(c: &mut Criterion) {
    let Some(texts) = rule_texts() else {
        eprintln!(
            "skipping runtime/compile: corpus not found at {}",
            corpus().display()
        );
        return;
    };
    let schema = Schema::falco();
    let loaded = load(&schema, &texts);
    let mut group = c.benchmark_group("runtime/compile");
    group.bench_function("load_and_compile_3_official_files", |b| {
        b.iter(|| build(&schema, &load(&schema, black_box(&texts)), MatchMode::All))
    });
    group.bench_function("compile_3_official_files", |b| {
        b.iter(|| build(&schema, black_box(&loaded), MatchMode::All))
    });
    group.finish();
}

/// CPU time of the benchmarking thread: on a shared, overloaded machine
/// wall time counts the time other processes held the core; this does not.
struct ThreadCpu;

static WALL: WallTime = WallTime;

impl Measurement for ThreadCpu {
    type Intermediate = cpu_time::ThreadTime;
    type Value = std::time::Duration;

    fn start(&self) -> Self::Intermediate {
        cpu_time::ThreadTime::now()
    }

    fn end(&self, start: Self::Intermediate) -> Self::Value {
        start.elapsed()
    }

    fn add(&self, a: &Self::Value, b: &Self::Value) -> Self::Value {
        *a + *b
    }

    fn zero(&self) -> Self::Value {
        std::time::Duration::ZERO
    }

    fn to_f64(&self, value: &Self::Value) -> f64 {
        value.as_nanos() as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        WALL.formatter()
    }
}

fn run<M: Measurement>(
    c: &mut Criterion<M>,
    group: &str,
    name: &str,
    rules: &RuleSet,
    events: &[FlatEvent],
) {
    let mut group = c.benchmark_group(group);
    group.throughput(Throughput::Elements(events.len() as u64));
    let mut matcher = rules.matcher();
    group.bench_function(name, |b| {
        b.iter(|| {
            let mut fired = 0usize;
            for event in events {
                fired += matcher.matches(black_box(event)).len();
            }
            fired
        })
    });
    group.finish();
}

fn matching_in<M: Measurement>(c: &mut Criterion<M>, group: &str) {
    let Some(texts) = rule_texts() else {
        eprintln!(
            "skipping {group}: corpus not found at {}",
            corpus().display()
        );
        return;
    };
    let schema = Schema::falco();
    let rules = build(&schema, &load(&schema, &texts), MatchMode::All);
    run(c, group, "realistic", &rules, &realistic(&schema, 4_096));
    run(c, group, "adversarial", &rules, &adversarial(&schema, 256));
    // The same kind of events, few enough to stay in cache, as a freshly
    // decoded event is.
    run(
        c,
        group,
        "adversarial_hot",
        &rules,
        &adversarial(&schema, 32),
    );
    let replay = captures(&schema);
    if replay.is_empty() {
        eprintln!(
            "skipping {group}/captures: no captures at {}",
            corpus().display()
        );
    } else {
        run(c, group, "captures", &rules, &replay);
    }
}

fn matching(c: &mut Criterion) {
    matching_in(c, "runtime/match");
}

fn matching_cpu(c: &mut Criterion<ThreadCpu>) {
    matching_in(c, "runtime/match_cpu");
}

criterion_group!(benches, compile, matching);
criterion_group! {
    name = cpu;
    config = Criterion::default().with_measurement(ThreadCpu);
    targets = matching_cpu
}
criterion_main!(benches, cpu);
