//! `palisade admission audit`: existing objects against every loaded
//! policy, with violations per policy and object and each policy's coverage.

use std::path::PathBuf;

use clap::Args;
use palisade::admission::audit::{self, AuditReport};
use palisade::admission::builtin::BuiltinPack;
use palisade::admission::pss::{Level, LevelVersion, PssPolicy, Version};
use palisade::admission::{PolicySet, load_policies};
use palisade::manifest;
use serde::Serialize;

use crate::exit::Exit;
use crate::output::{Output, Style};

/// Arguments of `palisade admission audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Policy files or directories: Gatekeeper templates and constraints,
    /// Kyverno pattern policies.
    #[arg(long = "policies", value_name = "DIR", num_args = 1..)]
    pub policies: Vec<PathBuf>,
    /// Also run the built-in policy pack.
    #[arg(long)]
    pub builtin: bool,
    /// Also check a Pod Security level (`baseline` or `restricted`, latest version).
    #[arg(long, value_name = "LEVEL")]
    pub pss: Option<String>,
    /// Manifest files or inventory directories (`-` for standard input).
    #[arg(value_name = "MANIFESTS", required = true)]
    pub paths: Vec<PathBuf>,
}

#[derive(Serialize)]
struct ViolationRow<'a> {
    policy: &'a str,
    object: String,
    file: &'a str,
    line: u32,
    column: u32,
    action: &'static str,
    message: &'a str,
}

#[derive(Serialize)]
struct CoverageRow<'a> {
    policy: &'a str,
    objects: usize,
    workloads: usize,
    total_workloads: usize,
    share: f64,
    violating: usize,
}

#[derive(Serialize)]
struct Doc<'a> {
    objects: usize,
    workloads: usize,
    violations: Vec<ViolationRow<'a>>,
    coverage: Vec<CoverageRow<'a>>,
}

fn action_name(a: palisade::EnforcementAction) -> &'static str {
    match a {
        palisade::EnforcementAction::Deny => "deny",
        palisade::EnforcementAction::Warn => "warn",
        palisade::EnforcementAction::Dryrun => "dryrun",
    }
}

fn print(out: &Output, report: &AuditReport) {
    if out.json() {
        out.print_json(&Doc {
            objects: report.objects,
            workloads: report.workloads,
            violations: report
                .violations
                .iter()
                .map(|v| ViolationRow {
                    policy: &v.policy,
                    object: v.object.to_string(),
                    file: &v.location.file,
                    line: v.location.line,
                    column: v.location.column,
                    action: action_name(v.action),
                    message: &v.message,
                })
                .collect(),
            coverage: report
                .coverage
                .iter()
                .map(|c| CoverageRow {
                    policy: &c.policy,
                    objects: c.objects,
                    workloads: c.workloads,
                    total_workloads: c.total_workloads,
                    share: c.share(),
                    violating: c.violating,
                })
                .collect(),
        });
        return;
    }
    for v in &report.violations {
        out.line(&format!(
            "{} [{}] {} ({}:{}): {}",
            out.paint(Style::Red, action_name(v.action)),
            v.policy,
            v.object,
            v.location.file,
            v.location.line,
            v.message
        ));
    }
    out.line("");
    out.line(&out.paint(
        Style::Bold,
        "POLICY  OBJECTS  WORKLOADS  COVERAGE  VIOLATING",
    ));
    for c in &report.coverage {
        out.line(&format!(
            "{}  {}  {}/{}  {:.0}%  {}",
            c.policy,
            c.objects,
            c.workloads,
            c.total_workloads,
            c.share() * 100.0,
            c.violating
        ));
    }
    out.line(&format!(
        "{} objects ({} workloads), {} violations",
        report.objects,
        report.workloads,
        report.violations.len()
    ));
}

/// Runs the audit; exit 1 when a violation is found, 2 on input errors.
pub fn run(out: &Output, args: &AuditArgs) -> Exit {
    let mut set = PolicySet::new();
    let mut input_error = false;
    if !args.policies.is_empty() {
        let loaded = load_policies(&args.policies);
        for e in &loaded.errors {
            out.error(&e.to_string());
        }
        input_error |= !loaded.errors.is_empty();
        set.extend(loaded.policies);
    }
    if args.builtin {
        set.extend(BuiltinPack::default().policy_set());
    }
    if let Some(level) = &args.pss {
        match level.parse::<Level>() {
            Ok(level) => set.add(PssPolicy::new(LevelVersion::new(level, Version::Latest))),
            Err(e) => {
                out.error(&e.to_string());
                return Exit::InputError;
            }
        }
    }
    if set.is_empty() {
        out.error("no policies: give `--policies DIR`, `--builtin` or `--pss LEVEL`");
        return Exit::InputError;
    }
    let inventory = manifest::load_paths(&args.paths);
    for e in &inventory.errors {
        out.error(&e.to_string());
    }
    input_error |= !inventory.errors.is_empty();
    let report = audit::audit(&set, &inventory.objects);
    print(out, &report);
    for (object, e) in &report.errors {
        out.error(&format!("{object}: {e}"));
    }
    if !report.violations.is_empty() {
        Exit::Violation
    } else if input_error || !report.errors.is_empty() {
        Exit::InputError
    } else {
        Exit::Ok
    }
}
