//! [`Palisade`]: every layer loaded from one directory, and one [`Report`]
//! of findings and policy coverage across layers.

use std::path::Path;

use palisade_admission::mutate::fix::{Change, Fixer, Unfixable};
use palisade_core::{
    Audit, Engine, Finding, Layer, Location, Manifest, ObjectRef, Severity, Subject, manifest,
};
use serde::Serialize;

use crate::admission::gatekeeper::EngineChoice;
use crate::admission::{AdmissionEngine, PolicyLoadError, load_policies_with};
use crate::error::{EventsError, InputError, PalisadeError, PoliciesError, ReadError};
use crate::inputs::{self, FileKind, LoadedFile};
use crate::network::{self, Issues, Resolver};
use crate::runtime::{self, Event, FlatEvents, MatchMode, RuntimeEngine};

pub use palisade_core::Coverage;

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
    runtime: Option<RuntimeEngine>,
    resolver: Resolver,
    network_issues: Issues,
    workloads: Vec<Manifest>,
    inventory: Vec<Manifest>,
    network_policies: Vec<Manifest>,
    skipped: Vec<PolicyLoadError>,
}

/// Findings of every layer, and policy coverage.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    /// Admission audit violations, runtime alerts, network audit findings,
    /// in that order.
    pub findings: Vec<Finding>,
    /// One row per admission and network policy.
    pub coverage: Vec<Coverage>,
    /// For each workload with admission findings, what the built-in
    /// remediation pack (`palisade admission fix`) would change, and the
    /// Pod Security checks no patch can fix; workloads the pack leaves
    /// unchanged are not listed.
    pub fixes: Vec<WorkloadFix>,
}

/// The fix of one workload with admission findings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkloadFix {
    /// The workload.
    pub object: ObjectRef,
    /// Where its manifest is.
    pub location: Location,
    /// The changes, in order (RFC 6902 operations with their reasons).
    pub changes: Vec<Change>,
    /// What still fails Pod Security `restricted` after them.
    pub unfixable: Vec<Unfixable>,
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
        Palisade::load_dirs_with(dirs, EngineChoice::Auto)
    }

    /// [`Palisade::load_dirs`] running, in each Gatekeeper template, the
    /// implementation `engine` picks (`palisade report --engine
    /// auto|rego|cel`): the constraints of a template without the forced
    /// engine are left out and listed by [`Palisade::skipped`], neither
    /// passed nor failed.
    pub fn load_dirs_with(dirs: &[&Path], engine: EngineChoice) -> Result<Palisade, PalisadeError> {
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
            let text = std::fs::read_to_string(&path)
                .map_err(|e| InputError::from(ReadError::new(&path, &e)))?;
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
            if let Some(e) = loaded.errors.into_iter().next() {
                return Err(InputError::from(e).into());
            }
            let mut kinds: Vec<FileKind> = loaded.objects.iter().map(inputs::object_kind).collect();
            kinds.sort();
            kinds.dedup();
            let kind = match kinds.as_slice() {
                [] => FileKind::Ignored,
                [one] => *one,
                _ => FileKind::Mixed,
            };
            if kinds.iter().any(|k| {
                matches!(
                    k,
                    FileKind::Gatekeeper | FileKind::PatternPolicy | FileKind::CelPolicy
                )
            }) {
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
        let loaded = load_policies_with(&admission_files, engine);
        if !loaded.errors.is_empty() {
            return Err(InputError::from(PoliciesError {
                errors: loaded.errors,
            })
            .into());
        }
        let inventory: Vec<Manifest> = manifests
            .iter()
            .filter(|m| inputs::object_kind(m) == FileKind::Inventory)
            .cloned()
            .collect();
        let admission = AdmissionEngine::new(loaded.policies).with_inventory(inventory.clone());
        let runtime = if rules_files.is_empty() {
            None
        } else {
            let rules = runtime::compile_files(&rules_files, MatchMode::All)?;
            Some(runtime::engine(rules)?)
        };
        let (resolver, network_issues) = network::resolver(&manifests);
        let network_policies = manifests
            .iter()
            .filter(|m| inputs::object_kind(m) == FileKind::NetworkPolicy)
            .cloned()
            .collect();
        let workloads = manifests
            .into_iter()
            .filter(|m| m.kind().is_some_and(|k| WORKLOAD_KINDS.contains(&k)))
            .collect();
        Ok(Palisade {
            files,
            admission,
            runtime,
            resolver,
            network_issues,
            workloads,
            inventory,
            network_policies,
            skipped: loaded.skipped,
        })
    }

    /// The Gatekeeper constraints left out because their template lacks the
    /// engine [`Palisade::load_dirs_with`] forced, each with the reason.
    pub fn skipped(&self) -> &[PolicyLoadError] {
        &self.skipped
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
    pub fn rules(&self) -> Option<&runtime::RuleSet> {
        self.runtime.as_ref().map(RuntimeEngine::rules)
    }

    /// The runtime engine (the rules with their outputs compiled), when the
    /// directory had rules files.
    pub fn runtime(&self) -> Option<&RuntimeEngine> {
        self.runtime.as_ref()
    }

    /// The network resolver over the inventory and network policies.
    pub fn resolver(&self) -> &Resolver {
        &self.resolver
    }

    /// Network policy fields that were not understood.
    pub fn network_issues(&self) -> &Issues {
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

    /// Reads an event stream with the Falco field schema (and the
    /// output-only fields, as the rules are loaded): JSON lines, or a
    /// `.scap` capture (plain or gzip, recognized by its first bytes),
    /// whose shown events carry the fields the native reader derives.
    pub fn read_events(path: &Path) -> Result<FlatEvents, PalisadeError> {
        let read_error = |e: std::io::Error| EventsError::Read {
            path: path.to_path_buf(),
            reason: e.to_string(),
        };
        let bytes = std::fs::read(path).map_err(read_error)?;
        let schema = runtime::alert_schema();
        if runtime::scap::is_capture(&bytes) {
            return runtime::scap::CaptureEvents::from_reader(
                path.display().to_string(),
                bytes.as_slice(),
            )
            .and_then(|events| events.read_all(&schema))
            .map_err(|e| {
                EventsError::Capture {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                }
                .into()
            });
        }
        FlatEvents::parse_bytes(&bytes, &schema).map_err(|source| {
            EventsError::Parse {
                path: path.to_path_buf(),
                source,
            }
            .into()
        })
    }

    /// One report: every layer driven through [`Engine::run`], in order.
    /// Admission audits every inventory object (violations, evaluation
    /// errors, coverage from the policies' match criteria); the runtime
    /// engine evaluates `events` (when given and rules were loaded), one
    /// finding per fired rule with its output rendered from the event;
    /// network audits its policies (findings, coverage by policy subject).
    pub fn report(&self, events: Option<&FlatEvents>) -> Report {
        let mut all = self.admission.run([]);
        if let (Some(engine), Some(events)) = (&self.runtime, events) {
            all.extend(engine.run(events.events().iter().map(|e| e as &dyn Event)));
        }
        all.extend(self.resolver.run([]));
        let Audit { findings, coverage } = all;
        let fixes = self.fixes(&findings);
        Report {
            findings,
            coverage,
            fixes,
        }
    }

    /// What the built-in remediation pack changes in each workload that
    /// has an admission finding (in inventory order).
    pub fn fixes(&self, findings: &[Finding]) -> Vec<WorkloadFix> {
        let flagged: std::collections::BTreeSet<&ObjectRef> = findings
            .iter()
            .filter(|f| f.layer == Layer::Admission)
            .filter_map(|f| match &f.subject {
                Some(Subject::Object(o)) => Some(o),
                _ => None,
            })
            .collect();
        if flagged.is_empty() {
            return Vec::new();
        }
        let fixer = Fixer::with_pack(Vec::new());
        self.workloads
            .iter()
            .filter_map(|w| {
                let object = w.object_ref();
                if !flagged.contains(&object) {
                    return None;
                }
                let fix = fixer.fix(&w.object);
                (!fix.changes.is_empty()).then(|| WorkloadFix {
                    object,
                    location: w.source.location(),
                    changes: fix.changes,
                    unfixable: fix.unfixable,
                })
            })
            .collect()
    }
}
