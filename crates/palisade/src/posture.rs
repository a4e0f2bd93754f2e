//! The security posture: one score from 0 to 100 over the four pillars
//! (admission, runtime, network, hygiene), each with the reasons behind
//! every point lost, and the five-question form of the runtime policy
//! security calculator. `docs/posture.md` gives the formula.
//!
//! ```
//! let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/data/mixed");
//! let palisade = palisade::Palisade::load_dir(&dir).unwrap();
//! let posture = palisade.posture(&palisade::posture::PostureContext::default());
//! assert!(posture.score <= 100);
//! assert_eq!(posture.pillars.len(), 4);
//! assert_eq!(posture.questions.len(), 5);
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use palisade_core::yaml::{self, Value};
use palisade_core::{Layer, Manifest, Severity, Subject};
use serde::Serialize;

use crate::error::ReadError;
use crate::inputs::FileKind;
use crate::report::Palisade;

/// The weight of each pillar in the score (they sum to 100).
pub const WEIGHTS: [(PillarName, u32); 4] = [
    (PillarName::Admission, 30),
    (PillarName::Runtime, 30),
    (PillarName::Network, 25),
    (PillarName::Hygiene, 15),
];

/// The five behaviours every runtime rule set should detect.
pub const BEHAVIOURS: [Behaviour; 5] = [
    Behaviour::ShellInContainer,
    Behaviour::SensitiveFileRead,
    Behaviour::UnexpectedOutbound,
    Behaviour::UnexpectedParent,
    Behaviour::KernelModuleLoad,
];

/// The longest dedup window that counts as "deduplicated" for the score
/// (the tuning routine's 5 minutes, with room up to 15).
pub const MAX_DEDUP_WINDOW: Duration = Duration::from_secs(15 * 60);

/// A pillar of the posture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum PillarName {
    /// Deploy-time policy.
    Admission,
    /// Execution-time detection and alert handling.
    Runtime,
    /// Traffic-time policy.
    Network,
    /// Policies tested and in use.
    Hygiene,
}

impl PillarName {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            PillarName::Admission => "admission",
            PillarName::Runtime => "runtime",
            PillarName::Network => "network",
            PillarName::Hygiene => "hygiene",
        }
    }
}

/// A runtime behaviour the posture expects rules to detect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Behaviour {
    /// A shell started inside a container.
    ShellInContainer,
    /// A sensitive file (`/etc/shadow`, `/etc/sudoers`, ...) opened for reading.
    SensitiveFileRead,
    /// An outbound connection to an address not on an allow list.
    UnexpectedOutbound,
    /// A process started by an unexpected parent.
    UnexpectedParent,
    /// A kernel module loaded.
    KernelModuleLoad,
}

impl Behaviour {
    /// The behaviour in words.
    pub fn as_str(self) -> &'static str {
        match self {
            Behaviour::ShellInContainer => "shell in container",
            Behaviour::SensitiveFileRead => "sensitive file read",
            Behaviour::UnexpectedOutbound => "outbound connection to an unexpected address",
            Behaviour::UnexpectedParent => "unexpected parent process",
            Behaviour::KernelModuleLoad => "kernel module load",
        }
    }

    /// `true` when a rule with this (canonical) condition detects the
    /// behaviour: the event types and fields it must look at.
    pub fn detected_by(self, condition: &str) -> bool {
        let has = |s: &str| condition.contains(s);
        match self {
            Behaviour::ShellInContainer => {
                (has("execve") || has("spawned_process"))
                    && has("container")
                    && (has("bash") || has("shell") || has(" sh"))
            }
            Behaviour::SensitiveFileRead => {
                (has("open") || has("openat"))
                    && (has("/etc/shadow") || has("sensitive") || has("/etc/sudoers"))
            }
            Behaviour::UnexpectedOutbound => {
                has("connect")
                    && (has("fd.sip")
                        || has("fd.rip")
                        || has("fd.snet")
                        || has("fd.rnet")
                        || has("fd.net"))
            }
            Behaviour::UnexpectedParent => has("proc.pname") || has("proc.aname"),
            Behaviour::KernelModuleLoad => has("init_module") || has("insmod") || has("modprobe"),
        }
    }
}

/// How the alerts of the runtime layer are handled, when known (the
/// console knows; a directory of files does not).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Operations {
    /// The dedup window, when alerts are deduplicated.
    pub dedup_window: Option<Duration>,
    /// `true` when CRITICAL and ERROR alerts go to an on-call sink.
    pub oncall_routing: bool,
    /// Rules switched off.
    pub disabled_rules: BTreeSet<String>,
    /// Rules in observe (alert-only) mode.
    pub observed_rules: BTreeSet<String>,
    /// Exceptions added for known-good patterns (besides those in the rules files).
    pub exceptions: usize,
}

/// Policy test results: Gatekeeper suites and Kyverno test files.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TestResults {
    /// Suite and test files found.
    pub files: usize,
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed (or files that did not run).
    pub failed: usize,
}

impl TestResults {
    /// Finds and runs every Gatekeeper `Suite` and `kyverno-test.yaml`
    /// under `dir`.
    pub fn run(dir: &Path) -> TestResults {
        let mut results = TestResults::default();
        let suites = palisade_admission::suite::run_paths(&[dir]);
        let suite_files: BTreeSet<&str> = suites.cases.iter().map(|c| c.suite.as_str()).collect();
        results.files += suite_files.len() + suites.errors.len();
        results.passed += suites.passed();
        results.failed += suites.failed() + suites.errors.len();
        for file in palisade_admission::kyverno_test::find_test_files(&[dir]) {
            results.files += 1;
            match palisade_admission::kyverno_test::run_test_file(&file) {
                Ok(cases) => {
                    let passed = cases.iter().filter(|c| c.passed()).count();
                    results.passed += passed;
                    results.failed += cases.len() - passed;
                }
                Err(_) => results.failed += 1,
            }
        }
        results
    }
}

/// An answer to one question of the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Answer {
    /// Fully in place: 20 points.
    Yes,
    /// In part: 10 points.
    Partly,
    /// Not in place: 0 points.
    No,
}

impl Answer {
    /// The points the answer is worth.
    pub fn points(self) -> u32 {
        match self {
            Answer::Yes => 20,
            Answer::Partly => 10,
            Answer::No => 0,
        }
    }

    /// The answer as written in answers files and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Yes => "yes",
            Answer::Partly => "partly",
            Answer::No => "no",
        }
    }
}

/// Where an answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Source {
    /// Measured by Palisade from the inputs.
    Measured,
    /// Taken from the user's answers file (or `no` when it says nothing).
    Answered,
}

impl Source {
    /// `measured` or `answered`.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Measured => "measured",
            Source::Answered => "answered",
        }
    }
}

/// The five questions, by id.
pub const QUESTIONS: [(&str, &str); 5] = [
    (
        "admission",
        "does admission enforce Pod Security and the basic policies (trusted registries, resource limits, no privileged containers, required owner/env/app labels)?",
    ),
    (
        "runtime",
        "does runtime detection run the default rules, tuned (shell in container, sensitive file reads, unexpected outbound connections, unexpected parent processes, kernel module loads; exceptions for known-good patterns)?",
    ),
    (
        "network",
        "is network traffic default-deny with only declared service paths allowed, and L7 rules for external traffic?",
    ),
    (
        "alerts",
        "are alerts deduplicated (5-minute window) and routed (CRITICAL/ERROR to on-call, WARNING to review)?",
    ),
    (
        "tests",
        "are policies tested (suites present and passing) and covering the workloads?",
    ),
];

/// An answers file could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum AnswersError {
    /// The file could not be read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Read(#[from] ReadError),
    /// The file is not a valid answers file.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Invalid(#[from] InvalidAnswers),
}

/// An answers file that is not YAML, not a mapping, or answers wrongly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{file}:{line}:{column}: {message}")]
#[diagnostic(
    code(palisade::posture::answers),
    help(
        "an answers file maps question ids (admission, runtime, network, alerts, tests) to `yes`, `partly` or `no`"
    )
)]
pub struct InvalidAnswers {
    /// The file.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// What is wrong.
    pub message: String,
}

/// The user's answers to the questions Palisade cannot measure, read from
/// an answers file: a YAML (or JSON) mapping of question id to `yes`,
/// `partly` or `no`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answers {
    answers: BTreeMap<String, Answer>,
}

impl Answers {
    /// Reads an answers file.
    pub fn load(path: &Path) -> Result<Answers, AnswersError> {
        let text = std::fs::read_to_string(path).map_err(|e| ReadError::new(path, &e))?;
        Answers::parse(&path.display().to_string(), &text)
    }

    /// Parses an answers file's text; `file` names it in errors.
    ///
    /// ```
    /// let answers = palisade::posture::Answers::parse("a.yaml", "alerts: partly\n").unwrap();
    /// assert_eq!(answers.get("alerts"), Some(palisade::posture::Answer::Partly));
    /// let error = palisade::posture::Answers::parse("a.yaml", "alerts: maybe\n").unwrap_err();
    /// assert_eq!(error.to_string(), "a.yaml:1:9: `alerts`: expected `yes`, `partly` or `no`, found `maybe`");
    /// ```
    pub fn parse(file: &str, text: &str) -> Result<Answers, AnswersError> {
        let error = |line: u32, column: u32, message: String| {
            AnswersError::from(InvalidAnswers {
                file: file.to_owned(),
                line,
                column,
                message,
            })
        };
        let mut answers = BTreeMap::new();
        let docs = yaml::parse_stream(text);
        let mut roots = Vec::new();
        for doc in docs {
            match doc {
                Ok(doc) => roots.push(doc.root),
                Err(e) => return Err(error(e.line, e.column, e.message)),
            }
        }
        let Some(root) = roots.first() else {
            return Ok(Answers::default());
        };
        if root.is_null() {
            return Ok(Answers::default());
        }
        let Some(entries) = root.entries() else {
            return Err(error(
                root.line,
                root.column,
                format!(
                    "expected a mapping of question id to answer, found {}",
                    root.type_name()
                ),
            ));
        };
        for (key, value) in entries {
            let Some(id) = key.as_str() else {
                return Err(error(
                    key.line,
                    key.column,
                    "question ids are strings".to_owned(),
                ));
            };
            if !QUESTIONS.iter().any(|(q, _)| *q == id) {
                let known: Vec<&str> = QUESTIONS.iter().map(|(q, _)| *q).collect();
                return Err(error(
                    key.line,
                    key.column,
                    format!(
                        "unknown question `{}`; the questions are {}",
                        shown(id),
                        known.join(", ")
                    ),
                ));
            }
            // YAML 1.1 readers turn `yes`/`no` into booleans; take both.
            let answer = match &value.value {
                Value::String(s) if s == "yes" => Answer::Yes,
                Value::String(s) if s == "partly" => Answer::Partly,
                Value::String(s) if s == "no" => Answer::No,
                Value::Bool(true) => Answer::Yes,
                Value::Bool(false) => Answer::No,
                _ => {
                    let found = value
                        .scalar_text()
                        .unwrap_or_else(|| value.type_name().to_owned());
                    return Err(error(
                        value.line,
                        value.column,
                        format!(
                            "`{id}`: expected `yes`, `partly` or `no`, found `{}`",
                            shown(&found)
                        ),
                    ));
                }
            };
            answers.insert(id.to_owned(), answer);
        }
        Ok(Answers { answers })
    }

    /// The answer to question `id`, when given.
    pub fn get(&self, id: &str) -> Option<Answer> {
        self.answers.get(id).copied()
    }
}

/// Text from a file as shown in a message: control characters (terminal
/// escapes) written as `\u{1b}`.
fn shown(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// What the posture is computed from besides the loaded policies and
/// inventory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostureContext {
    /// Alert handling, when known (the console's settings and rule states).
    pub operations: Option<Operations>,
    /// Policy test results, when the tests were run.
    pub tests: Option<TestResults>,
    /// The user's answers for what cannot be measured.
    pub answers: Answers,
}

/// One reason for points lost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    /// Points lost, on the pillar's 0-100 scale (one decimal).
    pub points: f64,
    /// Why, in words.
    pub reason: String,
}

/// One pillar's score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pillar {
    /// Which pillar.
    pub name: PillarName,
    /// Its score, 0 to 100.
    pub score: u32,
    /// Its weight in the overall score (weights sum to 100).
    pub weight: u32,
    /// Every point lost and why; empty at 100.
    pub reasons: Vec<Reason>,
}

/// One question of the form and its answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Question {
    /// `admission`, `runtime`, `network`, `alerts` or `tests`.
    pub id: String,
    /// The question.
    pub question: String,
    /// The answer.
    pub answer: Answer,
    /// 20, 10 or 0.
    pub points: u32,
    /// What the answer rests on.
    pub evidence: String,
    /// Measured or answered.
    pub source: Source,
}

/// The posture: a score from 0 to 100 with its pillars and the
/// five-question form.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Posture {
    /// The weighted sum of the pillar scores, rounded, 0 to 100.
    pub score: u32,
    /// The four pillars.
    pub pillars: Vec<Pillar>,
    /// The five questions, 20 points each.
    pub questions: Vec<Question>,
    /// The sum of the questions' points, 0 to 100.
    pub form_score: u32,
}

/// Points of one pillar being added up.
struct Tally {
    earned: f64,
    reasons: Vec<Reason>,
}

impl Tally {
    fn new() -> Tally {
        Tally {
            earned: 0.0,
            reasons: Vec::new(),
        }
    }

    /// Adds a check worth `max` points of which `fraction` (0..1) is earned;
    /// the loss, if any, is explained by `why`.
    fn check(&mut self, max: f64, fraction: f64, why: impl FnOnce() -> String) {
        let fraction = fraction.clamp(0.0, 1.0);
        self.earned += max * fraction;
        let lost = max * (1.0 - fraction);
        if lost > 0.0005 {
            self.reasons.push(Reason {
                points: (lost * 10.0).round() / 10.0,
                reason: why(),
            });
        }
    }

    fn finish(self, name: PillarName) -> (Pillar, f64) {
        let weight = WEIGHTS
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(0, |(_, w)| *w);
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "earned is clamped to 0..=100"
        )]
        let score = self.earned.clamp(0.0, 100.0).round() as u32;
        (
            Pillar {
                name,
                score,
                weight,
                reasons: self.reasons,
            },
            self.earned.clamp(0.0, 100.0),
        )
    }
}

#[expect(clippy::cast_precision_loss, reason = "counts of objects are small")]
fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// A short list of names for a reason: the first few, then how many more.
fn some(names: &[String]) -> String {
    const SHOWN: usize = 3;
    let mut out = names
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        out.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    out
}

/// The Pod Security `enforce` level of each namespace of the inventory.
fn pod_security_levels(palisade: &Palisade) -> BTreeMap<String, String> {
    palisade
        .inventory()
        .iter()
        .filter(|m| m.kind() == Some("Namespace"))
        .filter_map(|m| {
            let name = m.name()?.to_owned();
            let level = m
                .labels()
                .find(|(k, _)| *k == "pod-security.kubernetes.io/enforce")
                .map_or("privileged", |(_, v)| v)
                .to_owned();
            Some((name, level))
        })
        .collect()
}

fn workload_name(m: &Manifest) -> String {
    format!(
        "{}/{}",
        m.namespace().unwrap_or("default"),
        m.name().unwrap_or("?")
    )
}

/// Families of basic admission policies, recognized by the policy's name.
const BASIC_FAMILIES: [(&str, &[&str]); 4] = [
    ("trusted registries", &["registr", "repos", "image"]),
    ("resource limits", &["limit", "resource"]),
    ("no privileged containers", &["privileg"]),
    ("required labels", &["label", "owner"]),
];

impl Palisade {
    /// The posture of what was loaded, with `context` for what files do not
    /// say (alert handling, test results, the user's answers).
    pub fn posture(&self, context: &PostureContext) -> Posture {
        let report = self.report(None);
        let workloads = self.workloads();
        let levels = pod_security_levels(self);
        let mut totals = Vec::new();
        let mut pillars = Vec::new();

        // Admission.
        let mut admission = Tally::new();
        let mut weak = Vec::new();
        let empty = workloads.is_empty();
        let restricted;
        if empty {
            // No workloads: the share is taken over namespaces.
            let n = levels.len();
            let mut sum = 0.0;
            for (ns, level) in &levels {
                match level.as_str() {
                    "restricted" => sum += 1.0,
                    "baseline" => {
                        sum += 0.5;
                        weak.push(format!("{ns} (baseline)"));
                    }
                    _ => weak.push(format!("{ns} (none)")),
                }
            }
            restricted = if n == 0 { 0.0 } else { sum / n as f64 };
            admission.check(40.0, restricted, || {
                if n == 0 {
                    "no workloads and no namespaces: nothing is under Pod Security".to_owned()
                } else {
                    format!(
                        "no workloads; namespaces not under Pod Security `restricted` (baseline counts half): {}",
                        some(&weak)
                    )
                }
            });
        } else {
            let mut sum = 0.0;
            for w in workloads {
                let level = levels
                    .get(w.namespace().unwrap_or("default"))
                    .map_or("privileged", String::as_str);
                match level {
                    "restricted" => sum += 1.0,
                    "baseline" => {
                        sum += 0.5;
                        weak.push(format!("{} (baseline)", workload_name(w)));
                    }
                    _ => weak.push(format!("{} (none)", workload_name(w))),
                }
            }
            restricted = sum / workloads.len() as f64;
            admission.check(40.0, restricted, || {
                format!(
                    "workloads not under Pod Security `restricted` (baseline counts half): {}",
                    some(&weak)
                )
            });
        }
        let admission_coverage: Vec<&crate::Coverage> = report
            .coverage
            .iter()
            .filter(|c| c.layer == Layer::Admission)
            .collect();
        let policies_loaded = !self.admission().policies.is_empty();
        let covered = if empty {
            if policies_loaded { 1.0 } else { 0.0 }
        } else {
            // The mean share of the policies: how much of the inventory
            // the policies, on average, look at.
            if admission_coverage.is_empty() {
                0.0
            } else {
                admission_coverage.iter().map(|c| c.share).sum::<f64>()
                    / admission_coverage.len() as f64
            }
        };
        admission.check(30.0, covered, || {
            if admission_coverage.is_empty() {
                "no admission policies besides Pod Security".to_owned()
            } else {
                let narrow: Vec<String> = admission_coverage
                    .iter()
                    .filter(|c| c.share < 1.0)
                    .map(|c| format!("{} {:.0}%", c.policy, c.share * 100.0))
                    .collect();
                format!(
                    "admission policies apply to part of the workloads: {}",
                    some(&narrow)
                )
            }
        });
        let mut penalty = BTreeMap::new();
        let mut by_severity: BTreeMap<Severity, usize> = BTreeMap::new();
        for f in report.layer(Layer::Admission) {
            if f.severity < Severity::Warning {
                continue;
            }
            *by_severity.entry(f.severity).or_default() += 1;
            if let Some(Subject::Object(o)) = &f.subject {
                let key = format!("{}/{}", o.namespace.as_deref().unwrap_or("default"), o.name);
                let weight = if f.severity >= Severity::Error {
                    1.0
                } else {
                    0.5
                };
                let entry = penalty.entry(key).or_insert(0.0_f64);
                *entry = entry.max(weight);
            }
        }
        let clean = if empty {
            1.0
        } else {
            1.0 - penalty.values().sum::<f64>() / workloads.len() as f64
        };
        admission.check(30.0, clean, || {
            let counts: Vec<String> = by_severity
                .iter()
                .rev()
                .map(|(s, n)| format!("{n} {}", s.as_str()))
                .collect();
            let names: Vec<String> = penalty.keys().cloned().collect();
            format!(
                "open violations ({}) on {} (a workload with an error counts whole, with warnings only half)",
                counts.join(", "),
                some(&names)
            )
        });
        let (pillar, exact) = admission.finish(PillarName::Admission);
        totals.push((pillar.weight, exact));
        pillars.push(pillar);

        // Runtime.
        let operations = context.operations.clone();
        let mut runtime = Tally::new();
        let detected = self.behaviours(operations.as_ref());
        for behaviour in BEHAVIOURS {
            let state = detected.get(&behaviour).copied().unwrap_or(0.0);
            runtime.check(12.0, state, || {
                if state > 0.0 {
                    format!(
                        "`{}` is detected only by rules in observe (alert-only) mode (counts half)",
                        behaviour.as_str()
                    )
                } else {
                    format!("no enabled rule detects `{}`", behaviour.as_str())
                }
            });
        }
        match &operations {
            Some(ops) => {
                let dedup = ops
                    .dedup_window
                    .is_some_and(|w| !w.is_zero() && w <= MAX_DEDUP_WINDOW);
                runtime.check(20.0, if dedup { 1.0 } else { 0.0 }, || {
                    "alerts are not deduplicated within a window of at most 15 minutes".to_owned()
                });
                runtime.check(20.0, if ops.oncall_routing { 1.0 } else { 0.0 }, || {
                    "CRITICAL and ERROR alerts are not routed to an on-call sink".to_owned()
                });
            }
            None => {
                let answered = context.answers.get("alerts");
                let fraction = answered.map_or(0.0, |a| f64::from(a.points()) / 20.0);
                runtime.check(40.0, fraction, || match answered {
                    Some(a) => format!(
                        "alert dedup and routing answered `{}` in the answers file",
                        a.as_str()
                    ),
                    None => "alert dedup and routing not known (not measured outside the console, not in the answers file)".to_owned(),
                });
            }
        }
        let (pillar, exact) = runtime.finish(PillarName::Runtime);
        totals.push((pillar.weight, exact));
        pillars.push(pillar);

        // Network.
        let mut network = Tally::new();
        let deny = self.default_deny();
        let namespaces: BTreeSet<String> = if empty {
            levels.keys().cloned().collect()
        } else {
            workloads
                .iter()
                .map(|w| w.namespace().unwrap_or("default").to_owned())
                .collect()
        };
        let mut open = Vec::new();
        let mut sum = 0.0;
        for ns in &namespaces {
            let (ingress, egress) = deny.get(ns).copied().unwrap_or((false, false));
            sum += (f64::from(u8::from(ingress)) + f64::from(u8::from(egress))) / 2.0;
            if !(ingress && egress) {
                let missing = match (ingress, egress) {
                    (false, false) => "ingress and egress",
                    (false, true) => "ingress",
                    _ => "egress",
                };
                open.push(format!("{ns} ({missing})"));
            }
        }
        let deny_share = if namespaces.is_empty() {
            0.0
        } else {
            sum / namespaces.len() as f64
        };
        network.check(50.0, deny_share, || {
            if namespaces.is_empty() {
                "no namespaces: no default-deny policy to measure".to_owned()
            } else {
                format!("namespaces without a default-deny policy: {}", some(&open))
            }
        });
        let (selected, endpoints) = self.selected_endpoints();
        let selected_share = if endpoints == 0 {
            if self.network_policies().is_empty() {
                0.0
            } else {
                1.0
            }
        } else {
            ratio(selected, endpoints)
        };
        network.check(30.0, selected_share, || {
            if endpoints == 0 {
                "no workloads and no network policies".to_owned()
            } else {
                format!(
                    "{} of {endpoints} workload endpoints are selected by no network policy",
                    endpoints - selected
                )
            }
        });
        let world = self.world_egress_without_l7();
        let no_policies = self.network_policies().is_empty();
        let closed = world.is_empty() && !no_policies;
        network.check(20.0, if closed { 1.0 } else { 0.0 }, || {
            if no_policies {
                "no network policies: egress to the world is open".to_owned()
            } else {
                format!(
                    "egress to the world allowed without L7 rules by {}",
                    some(&world)
                )
            }
        });
        let (pillar, exact) = network.finish(PillarName::Network);
        totals.push((pillar.weight, exact));
        pillars.push(pillar);

        // Hygiene.
        let mut hygiene = Tally::new();
        match &context.tests {
            Some(t) if t.files > 0 => {
                let pass = ratio(t.passed, t.passed + t.failed);
                hygiene.check(60.0, pass, || {
                    format!(
                        "{} of {} policy test cases fail",
                        t.failed,
                        t.passed + t.failed
                    )
                });
            }
            Some(_) => hygiene.check(60.0, 0.0, || {
                "no policy test suites (Gatekeeper `Suite`, `kyverno-test.yaml`) found".to_owned()
            }),
            None => {
                let answered = context.answers.get("tests");
                let fraction = answered.map_or(0.0, |a| f64::from(a.points()) / 20.0);
                hygiene.check(60.0, fraction, || match answered {
                    Some(a) => format!("policy tests answered `{}`", a.as_str()),
                    None => "policy tests were not run".to_owned(),
                });
            }
        }
        let dead: Vec<String> = report
            .coverage
            .iter()
            .filter(|c| c.applies_to == 0)
            .map(|c| c.policy.clone())
            .collect();
        let in_use = if report.coverage.is_empty() {
            0.0
        } else if empty {
            1.0
        } else {
            1.0 - ratio(dead.len(), report.coverage.len())
        };
        hygiene.check(40.0, in_use, || {
            if report.coverage.is_empty() {
                "no admission or network policies to cover the workloads".to_owned()
            } else {
                format!("policies that apply to no workload: {}", some(&dead))
            }
        });
        let (pillar, exact) = hygiene.finish(PillarName::Hygiene);
        totals.push((pillar.weight, exact));
        pillars.push(pillar);

        let weighted: f64 = totals.iter().map(|(w, s)| f64::from(*w) * s / 100.0).sum();
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "a weighted mean of 0..=100 scores"
        )]
        let score = weighted.clamp(0.0, 100.0).round() as u32;

        let questions = self.questions(
            context,
            &Measures {
                restricted,
                policy_names: admission_coverage
                    .iter()
                    .map(|c| c.policy.clone())
                    .collect(),
                behaviours: detected,
                deny_share,
                world_egress: !world.is_empty(),
                has_network_policies: !self.network_policies().is_empty(),
                has_admission_policies: policies_loaded,
                in_use,
            },
        );
        let form_score = questions.iter().map(|q| q.points).sum();
        Posture {
            score,
            pillars,
            questions,
            form_score,
        }
    }

    /// For each behaviour, 1 when an enabled rule in alert mode detects it,
    /// 0.5 when only rules in observe mode do, absent when none.
    fn behaviours(&self, operations: Option<&Operations>) -> BTreeMap<Behaviour, f64> {
        let mut out = BTreeMap::new();
        let Some(rules) = self.rules() else {
            return out;
        };
        for rule in rules.rules() {
            let state = match operations {
                Some(ops) if ops.disabled_rules.contains(&rule.name) => continue,
                Some(ops) if ops.observed_rules.contains(&rule.name) => 0.5,
                _ => 1.0,
            };
            for behaviour in BEHAVIOURS {
                if behaviour.detected_by(&rule.condition) {
                    let entry = out.entry(behaviour).or_insert(0.0_f64);
                    *entry = entry.max(state);
                }
            }
        }
        out
    }

    /// Per namespace, whether a NetworkPolicy denies all ingress and all
    /// egress by default (selects every pod, names the direction in
    /// `policyTypes`, and allows nothing in it).
    fn default_deny(&self) -> BTreeMap<String, (bool, bool)> {
        let mut out: BTreeMap<String, (bool, bool)> = BTreeMap::new();
        for m in self.network_policies() {
            let spec = at(&m.object, "/spec");
            let selects_all = match m.kind() {
                Some("NetworkPolicy") => at(spec, "/podSelector").as_object().is_none_or(|s| {
                    s.values().all(|v| {
                        v.as_object().is_some_and(|o| o.is_empty())
                            || v.as_array().is_some_and(|a| a.is_empty())
                    })
                }),
                Some("CiliumNetworkPolicy") => {
                    at(spec, "/endpointSelector").as_object().is_some_and(|s| {
                        s.values()
                            .all(|v| v.as_object().is_some_and(|o| o.is_empty()))
                    })
                }
                _ => false,
            };
            if !selects_all {
                continue;
            }
            let types: Vec<&str> = at(spec, "/policyTypes")
                .as_array()
                .map(|a| a.iter().filter_map(|t| t.as_str()).collect())
                .unwrap_or_default();
            let empty = |key: &str| {
                spec.get(key)
                    .and_then(serde_json::Value::as_array)
                    .is_none_or(|a| a.is_empty())
            };
            let (ingress, egress) = match m.kind() {
                Some("NetworkPolicy") => (
                    (types.contains(&"Ingress") || types.is_empty()) && empty("ingress"),
                    types.contains(&"Egress") && empty("egress"),
                ),
                // Cilium: a policy with an empty rule list for a direction
                // (`ingress: [{}]`) puts every endpoint into default deny.
                _ => (
                    at(spec, "/ingress").as_array().is_some_and(|a| {
                        a.iter()
                            .all(|r| r.as_object().is_some_and(|o| o.is_empty()))
                    }),
                    at(spec, "/egress").as_array().is_some_and(|a| {
                        a.iter()
                            .all(|r| r.as_object().is_some_and(|o| o.is_empty()))
                    }),
                ),
            };
            let ns = m.namespace().unwrap_or("default").to_owned();
            let entry = out.entry(ns).or_default();
            entry.0 |= ingress;
            entry.1 |= egress;
        }
        out
    }

    /// Endpoints selected by at least one network policy, and all endpoints.
    fn selected_endpoints(&self) -> (usize, usize) {
        let resolver = self.resolver();
        let catalog = resolver.catalog();
        let total = catalog.inventory.endpoints.len();
        let mut identities = BTreeSet::new();
        for policy in &catalog.policies.policies {
            for id in resolver.policy_subjects(policy) {
                identities.insert(id.index());
            }
        }
        let selected = identities
            .into_iter()
            .filter_map(|i| resolver.identities().get(i))
            .map(|identity| identity.endpoints.len())
            .sum();
        (selected, total)
    }

    /// Policies allowing egress to any address (`0.0.0.0/0`, `::/0`,
    /// Cilium's `world`/`all` entities) without L7 rules.
    fn world_egress_without_l7(&self) -> Vec<String> {
        let mut out = Vec::new();
        for m in self.network_policies() {
            let Some(rules) = at(&m.object, "/spec/egress").as_array() else {
                continue;
            };
            let open = rules.iter().any(|rule| {
                let to_world = at(rule, "/to").as_array().is_some_and(|to| {
                    to.iter().any(|peer| {
                        matches!(
                            at(peer, "/ipBlock/cidr").as_str(),
                            Some("0.0.0.0/0" | "::/0")
                        )
                    })
                }) || at(rule, "/toCIDR").as_array().is_some_and(|c| {
                    c.iter()
                        .any(|c| matches!(c.as_str(), Some("0.0.0.0/0" | "::/0")))
                }) || at(rule, "/toEntities").as_array().is_some_and(|e| {
                    e.iter()
                        .any(|e| matches!(e.as_str(), Some("world" | "all")))
                });
                let l7 = at(rule, "/toPorts").as_array().is_some_and(|ports| {
                    ports
                        .iter()
                        .any(|p| at(p, "/rules").as_object().is_some_and(|r| !r.is_empty()))
                });
                to_world && !l7
            });
            if open {
                out.push(format!(
                    "{} {}/{}",
                    m.kind().unwrap_or("?"),
                    m.namespace().unwrap_or("default"),
                    m.name().unwrap_or("?")
                ));
            }
        }
        out
    }

    fn questions(&self, context: &PostureContext, m: &Measures) -> Vec<Question> {
        let mut out = Vec::new();
        let answered = |id: &str, what: &str| -> (Answer, String, Source) {
            match context.answers.get(id) {
                Some(a) => (
                    a,
                    format!("{what}; answered `{}` in the answers file", a.as_str()),
                    Source::Answered,
                ),
                None => (
                    Answer::No,
                    format!("{what}, and the answers file does not answer it: counted as `no`"),
                    Source::Answered,
                ),
            }
        };
        for (id, question) in QUESTIONS {
            let (answer, evidence, source) = match id {
                "admission" if m.has_admission_policies || m.restricted > 0.0 => {
                    let families: Vec<&str> = BASIC_FAMILIES
                        .iter()
                        .filter(|(_, needles)| {
                            m.policy_names.iter().any(|p| {
                                let p = p.to_lowercase();
                                needles.iter().any(|n| p.contains(n))
                            })
                        })
                        .map(|(f, _)| *f)
                        .collect();
                    let missing: Vec<&str> = BASIC_FAMILIES
                        .iter()
                        .map(|(f, _)| *f)
                        .filter(|f| !families.contains(f))
                        .collect();
                    let answer = if m.restricted >= 1.0 && missing.is_empty() {
                        Answer::Yes
                    } else if m.restricted > 0.0 || !families.is_empty() {
                        Answer::Partly
                    } else {
                        Answer::No
                    };
                    (
                        answer,
                        format!(
                            "Pod Security share {:.0}% (restricted 1, baseline 0.5); basic policies present: {}; missing: {}",
                            m.restricted * 100.0,
                            if families.is_empty() {
                                "none".to_owned()
                            } else {
                                families.join(", ")
                            },
                            if missing.is_empty() {
                                "none".to_owned()
                            } else {
                                missing.join(", ")
                            }
                        ),
                        Source::Measured,
                    )
                }
                "admission" => answered(
                    id,
                    "no admission policies or Pod Security labels in the inputs",
                ),
                "runtime" if self.rules().is_some() => {
                    let full = m.behaviours.values().filter(|v| **v >= 1.0).count();
                    let exceptions = context.operations.as_ref().map_or(0, |o| o.exceptions)
                        + self.rules_file_exceptions();
                    let answer = if full == BEHAVIOURS.len() && exceptions > 0 {
                        Answer::Yes
                    } else if !m.behaviours.is_empty() {
                        Answer::Partly
                    } else {
                        Answer::No
                    };
                    (
                        answer,
                        format!(
                            "{full} of {} behaviours detected by enabled rules in alert mode; {exceptions} exception(s) for known-good patterns",
                            BEHAVIOURS.len()
                        ),
                        Source::Measured,
                    )
                }
                "runtime" => answered(id, "no Falco rules in the inputs"),
                "network" if m.has_network_policies => {
                    let answer = if m.deny_share >= 1.0 && !m.world_egress {
                        Answer::Yes
                    } else if m.deny_share > 0.0 {
                        Answer::Partly
                    } else {
                        Answer::No
                    };
                    (
                        answer,
                        format!(
                            "default deny {:.0}% of namespaces; egress to the world without L7 rules: {}",
                            m.deny_share * 100.0,
                            if m.world_egress { "yes" } else { "no" }
                        ),
                        Source::Measured,
                    )
                }
                "network" => answered(id, "no network policies in the inputs"),
                "alerts" => match &context.operations {
                    Some(ops) => {
                        let dedup = ops
                            .dedup_window
                            .is_some_and(|w| !w.is_zero() && w <= MAX_DEDUP_WINDOW);
                        let answer = match (dedup, ops.oncall_routing) {
                            (true, true) => Answer::Yes,
                            (false, false) => Answer::No,
                            _ => Answer::Partly,
                        };
                        (
                            answer,
                            format!(
                                "dedup window {}; on-call routing of CRITICAL/ERROR: {}",
                                ops.dedup_window
                                    .map_or("none".to_owned(), |w| format!("{}s", w.as_secs())),
                                if ops.oncall_routing { "yes" } else { "no" }
                            ),
                            Source::Measured,
                        )
                    }
                    None => answered(id, "alert handling is measured only by the console"),
                },
                _ => match &context.tests {
                    Some(t) => {
                        let passing = t.files > 0 && t.failed == 0;
                        let answer = if passing && m.in_use >= 1.0 {
                            Answer::Yes
                        } else if t.passed > 0 || m.in_use > 0.0 {
                            Answer::Partly
                        } else {
                            Answer::No
                        };
                        (
                            answer,
                            format!(
                                "{} test file(s), {} case(s) passing, {} failing; {:.0}% of policies apply to a workload",
                                t.files,
                                t.passed,
                                t.failed,
                                m.in_use * 100.0
                            ),
                            Source::Measured,
                        )
                    }
                    None => answered(id, "policy tests were not run"),
                },
            };
            out.push(Question {
                id: id.to_owned(),
                question: question.to_owned(),
                answer,
                points: answer.points(),
                evidence,
                source,
            });
        }
        out
    }

    /// Exceptions written in the loaded Falco rules files.
    fn rules_file_exceptions(&self) -> usize {
        self.files()
            .iter()
            .filter(|f| f.kind == FileKind::FalcoRules)
            .filter_map(|f| std::fs::read_to_string(&f.path).ok())
            .map(|text| text.matches("exceptions:").count())
            .sum()
    }
}

/// The JSON value at `pointer` (`/spec/egress`), null when absent.
fn at<'a>(value: &'a serde_json::Value, pointer: &str) -> &'a serde_json::Value {
    static NULL: serde_json::Value = serde_json::Value::Null;
    value.pointer(pointer).unwrap_or(&NULL)
}

/// What the pillars measured, for the questions.
struct Measures {
    restricted: f64,
    policy_names: Vec<String>,
    behaviours: BTreeMap<Behaviour, f64>,
    deny_share: f64,
    world_egress: bool,
    has_network_policies: bool,
    has_admission_policies: bool,
    in_use: f64,
}
