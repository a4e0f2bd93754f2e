//! [`Palisade`]: every layer loaded from one directory, and one [`Report`]
//! of findings and policy coverage across layers.

use std::path::Path;

use palisade_core::{Finding, Layer, Manifest, ProcessRef, Severity, Subject, manifest};
use serde::Serialize;

use crate::admission::{AdmissionEngine, load_policies};
use crate::error::{EventsError, InputError, PalisadeError};
use crate::inputs::{self, FileKind, LoadedFile};
use crate::network::{self, Resolver};
use crate::runtime::{self, FlatEvent, FlatEvents, MatchMode, RuleSet, Schema};

/// Object kinds that run containers: the workloads admission audits and
/// coverage counts.
pub const WORKLOAD_KINDS: [&str; 7] = [
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
];

/// Findings at or above this severity make a report fail
/// ([`Report::failed`]): an admission `deny` (error) or `warn` (warning), a
/// runtime alert of priority warning or higher, a network audit warning.
pub const FAIL_AT: Severity = Severity::Warning;

/// Every layer, loaded from one directory of mixed inputs.
#[derive(Debug, Clone)]
pub struct Palisade {
    files: Vec<LoadedFile>,
    admission: AdmissionEngine,
    rules: Option<RuleSet>,
    resolver: Resolver,
    network_issues: Vec<String>,
    inventory: Vec<Manifest>,
    workloads: Vec<Manifest>,
    network_policies: Vec<Manifest>,
}

/// For one policy, the share of workloads it applies to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    /// The policy's name.
    pub policy: String,
    /// Its layer.
    pub layer: Layer,
    /// How many workloads it applies to.
    pub applies_to: usize,
    /// How many workloads there are.
    pub of: usize,
    /// `applies_to / of` (0 when there are no workloads).
    pub share: f64,
}

impl Coverage {
    fn new(policy: String, layer: Layer, applies_to: usize, of: usize) -> Coverage {
        #[expect(clippy::cast_precision_loss, reason = "counts of workloads are small")]
        let share = if of == 0 {
            0.0
        } else {
            applies_to as f64 / of as f64
        };
        Coverage {
            policy,
            layer,
            applies_to,
            of,
            share,
        }
    }
}

/// Findings of every layer, and policy coverage.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    /// Admission audit violations, runtime alerts, network audit findings,
    /// in that order.
    pub findings: Vec<Finding>,
    /// One row per admission and network policy.
    pub coverage: Vec<Coverage>,
}

impl Report {
    /// The findings of one layer.
    pub fn layer(&self, layer: Layer) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.layer == layer)
    }

    /// `true` when a finding is at or above [`FAIL_AT`].
    pub fn failed(&self) -> bool {
        self.findings.iter().any(|f| f.severity >= FAIL_AT)
    }
}

impl Palisade {
    /// Loads every input under `dir` (recursively): Gatekeeper templates and
    /// constraints, pattern policies, Falco rules files, network policies and
    /// inventory manifests, each recognized by its kind or shape.
    /// `.jsonl` files are listed as events but not read (see
    /// [`Palisade::read_events`]).
    ///
    /// ```
    /// let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/data/mixed");
    /// let palisade = palisade::Palisade::load_dir(&dir).unwrap();
    /// let report = palisade.report(None);
    /// assert!(report.layer(palisade::Layer::Admission).count() > 0);
    /// assert!(!report.coverage.is_empty());
    /// ```
    pub fn load_dir(dir: &Path) -> Result<Palisade, PalisadeError> {
        Palisade::load_dirs(&[dir])
    }

    /// Loads every input under each of `dirs`, as [`Palisade::load_dir`]
    /// does for one (policies in one directory, the inventory in another).
    pub fn load_dirs(dirs: &[&Path]) -> Result<Palisade, PalisadeError> {
        let mut files = Vec::new();
        let mut admission_files = Vec::new();
        let mut rules_files = Vec::new();
        let mut manifests = Vec::new();
        let mut paths = Vec::new();
        for dir in dirs {
            paths.extend(inputs::input_files(dir)?);
        }
        for path in paths {
            if path.extension().is_some_and(|e| e == "jsonl") {
                files.push(LoadedFile {
                    path,
                    kind: FileKind::Events,
                    items: 0,
                });
                continue;
            }
            let text = std::fs::read_to_string(&path).map_err(|e| InputError {
                message: format!("cannot read `{}`: {e}", path.display()),
            })?;
            if inputs::is_falco_rules(&text) {
                let items = text.lines().filter(|l| l.starts_with("- ")).count();
                rules_files.push(path.clone());
                files.push(LoadedFile {
                    path,
                    kind: FileKind::FalcoRules,
                    items,
                });
                continue;
            }
            let loaded = manifest::load_str(&path.display().to_string(), &text);
            if let Some(e) = loaded.errors.first() {
                return Err(InputError {
                    message: e.to_string(),
                }
                .into());
            }
            let mut kinds: Vec<FileKind> = loaded.objects.iter().map(inputs::object_kind).collect();
            kinds.sort();
            kinds.dedup();
            let kind = match kinds.as_slice() {
                [] => FileKind::Ignored,
                [one] => *one,
                _ => FileKind::Mixed,
            };
            if kinds
                .iter()
                .any(|k| matches!(k, FileKind::Gatekeeper | FileKind::PatternPolicy))
            {
                admission_files.push(path.clone());
            }
            files.push(LoadedFile {
                path,
                kind,
                items: loaded.objects.len(),
            });
            manifests.extend(loaded.objects.into_iter().filter(|m| {
                matches!(
                    inputs::object_kind(m),
                    FileKind::Inventory | FileKind::NetworkPolicy
                )
            }));
        }
        let loaded = load_policies(&admission_files);
        if !loaded.errors.is_empty() {
            let messages: Vec<String> = loaded.errors.iter().map(ToString::to_string).collect();
            return Err(InputError {
                message: messages.join("; "),
            }
            .into());
        }
        let mut admission = AdmissionEngine::new(loaded.policies);
        for m in &manifests {
            if inputs::object_kind(m) == FileKind::Inventory {
                admission.context.add_object(m.object.clone());
            }
        }
        let rules = if rules_files.is_empty() {
            None
        } else {
            Some(runtime::compile_files(&rules_files, MatchMode::All)?)
        };
        let (resolver, network_issues) = network::resolver(&manifests);
        let workloads = manifests
            .iter()
            .filter(|m| m.kind().is_some_and(|k| WORKLOAD_KINDS.contains(&k)))
            .cloned()
            .collect();
        let network_policies = manifests
            .iter()
            .filter(|m| inputs::object_kind(m) == FileKind::NetworkPolicy)
            .cloned()
            .collect();
        let inventory = manifests
            .into_iter()
            .filter(|m| inputs::object_kind(m) == FileKind::Inventory)
            .collect();
        Ok(Palisade {
            files,
            admission,
            rules,
            resolver,
            network_issues,
            inventory,
            workloads,
            network_policies,
        })
    }

    /// Every input file and what it became.
    pub fn files(&self) -> &[LoadedFile] {
        &self.files
    }

    /// The admission engine (policies and cluster context).
    pub fn admission(&self) -> &AdmissionEngine {
        &self.admission
    }

    /// The compiled Falco rules, when the directory had rules files.
    pub fn rules(&self) -> Option<&RuleSet> {
        self.rules.as_ref()
    }

    /// The network resolver over the inventory and network policies.
    pub fn resolver(&self) -> &Resolver {
        &self.resolver
    }

    /// Network policy fields that were not understood.
    pub fn network_issues(&self) -> &[String] {
        &self.network_issues
    }

    /// The workloads (Pods, Deployments, ...) of the inventory.
    pub fn workloads(&self) -> &[Manifest] {
        &self.workloads
    }

    /// The cluster objects (namespaces, workloads, ...) of the inputs.
    pub fn inventory(&self) -> &[Manifest] {
        &self.inventory
    }

    /// The network policies of the inputs, as written.
    pub fn network_policies(&self) -> &[Manifest] {
        &self.network_policies
    }

    /// Reads a JSON-lines event stream with the Falco field schema.
    pub fn read_events(path: &Path) -> Result<FlatEvents, PalisadeError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| EventsError {
            file: file.clone(),
            message: e.to_string(),
        })?;
        FlatEvents::parse(&text, &Schema::falco()).map_err(|e| {
            EventsError {
                file,
                message: e.to_string(),
            }
            .into()
        })
    }

    /// One report: admission audit of every workload, runtime alerts from
    /// `events` (when given and rules were loaded), network audit findings,
    /// and the coverage of every admission and network policy.
    pub fn report(&self, events: Option<&FlatEvents>) -> Report {
        let mut report = Report::default();
        // Admission: audit the inventory as Gatekeeper's audit does;
        // coverage from the policies' match criteria.
        let audit = crate::admission::audit(&self.admission.policies, &self.inventory);
        report.findings.extend(audit.findings());
        report
            .findings
            .extend(audit.errors.iter().map(|(object, e)| {
                Finding::new(
                    Layer::Admission,
                    e.policy.clone(),
                    Severity::Error,
                    e.reason.clone(),
                )
                .with_subject(Subject::Object(object.clone()))
            }));
        for c in &audit.coverage {
            report.coverage.push(Coverage::new(
                c.policy.clone(),
                Layer::Admission,
                c.workloads,
                c.total_workloads,
            ));
        }
        // Runtime: replay the events.
        if let (Some(rules), Some(events)) = (&self.rules, events) {
            report.findings.extend(alerts(rules, events.events()));
        }
        // Network: audit, and coverage by policy subject.
        report.findings.extend(network::audit(&self.resolver));
        let catalog = self.resolver.catalog();
        let endpoints = catalog.inventory.endpoints.len();
        for policy in &catalog.policies.policies {
            let applies: usize = self
                .resolver
                .policy_subjects(policy)
                .into_iter()
                .filter_map(|id| self.resolver.identities().get(id.index()))
                .map(|identity| identity.endpoints.len())
                .sum();
            report.coverage.push(Coverage::new(
                policy.display_name(),
                Layer::Network,
                applies,
                endpoints,
            ));
        }
        report
    }
}

/// Replays `events` through `rules`: one finding per fired rule, its
/// output filled from the event, about the event's process.
pub fn alerts(rules: &RuleSet, events: &[FlatEvent]) -> Vec<Finding> {
    let mut matcher = rules.matcher();
    let mut out = Vec::new();
    for event in events {
        for rule in matcher.matches(event).iter() {
            let message = runtime::format_output(&rule.output, event);
            out.push(
                Finding::new(Layer::Runtime, rule.name.clone(), rule.priority, message)
                    .with_subject(Subject::Process(process_of(event))),
            );
        }
    }
    out
}

fn process_of(event: &FlatEvent) -> ProcessRef {
    use crate::runtime::Value;
    let text = |key: &str| match event.by_key(key) {
        Value::Absent => None,
        v => Some(runtime::value_text(v)),
    };
    let pid = match event.by_key("proc.pid") {
        Value::Int(n) => Some(n),
        Value::UInt(n) => i64::try_from(n).ok(),
        _ => None,
    };
    ProcessRef {
        pid,
        name: text("proc.name"),
        cmdline: text("proc.cmdline"),
        container_id: text("container.id"),
    }
}
