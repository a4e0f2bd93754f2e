//! `palisade admission mutate`: Kyverno `mutate` policies applied to
//! manifests, printing the mutated objects (YAML) or, with `--format
//! json`, each object's patches and the policy that made each.

use std::path::PathBuf;

use clap::Args;
use palisade::admission::mutate::{self, MutateStatus};
use palisade::admission::pattern::PatternRequest;
use palisade::manifest;
use serde::Serialize;
use serde_json::Value;

use super::object_at::ObjectAt;
use crate::exit::Exit;
use crate::output::Output;

/// Arguments of `palisade admission mutate`.
#[derive(Debug, Args)]
pub struct MutateArgs {
    /// A policy file or directory: Kyverno `ClusterPolicy`/`Policy` with
    /// `mutate` rules (other documents are ignored); repeat for more.
    #[arg(long = "policies", value_name = "DIR", required = true)]
    pub policies: Vec<PathBuf>,
    /// Manifest files or directories (`-` for standard input).
    #[arg(value_name = "MANIFESTS", required = true)]
    pub paths: Vec<PathBuf>,
}

/// One patch in JSON output.
#[derive(Serialize)]
struct PatchRow<'a> {
    op: &'a str,
    path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<&'a str>,
    policy: &'a str,
    rule: &'a str,
}

/// One object in JSON output.
#[derive(Serialize)]
struct Row<'a> {
    #[serde(flatten)]
    at: ObjectAt<'a>,
    patches: Vec<PatchRow<'a>>,
}

/// Runs the command: exit 0 when every object was mutated without a rule
/// error, 1 when a rule failed on some object, 2 on unreadable input or
/// policies that do not load.
pub fn run(out: &Output, args: &MutateArgs) -> Exit {
    let load = mutate::load_paths(&args.policies);
    for e in &load.errors {
        out.error(&e.to_string());
    }
    if !load.errors.is_empty() {
        return Exit::InputError;
    }
    if load.policies.is_empty() {
        out.error("no policies with `mutate` rules found under `--policies`");
        return Exit::InputError;
    }
    let report = manifest::load_paths(&args.paths);
    for e in &report.errors {
        out.error(&e.to_string());
    }
    let outcomes: Vec<_> = report
        .objects
        .iter()
        .map(|m| mutate::mutate(&load.policies, &PatternRequest::create(&m.object)))
        .collect();
    let mut failed = false;
    for (m, outcome) in report.objects.iter().zip(&outcomes) {
        for r in outcome
            .rules
            .iter()
            .filter(|r| r.status == MutateStatus::Error)
        {
            failed = true;
            out.warning(&format!(
                "{}:{}:{}: {}: policy `{}` rule `{}`: {}",
                m.source.file,
                m.source.line,
                m.source.column,
                m.object_ref(),
                r.policy,
                r.rule,
                r.message
            ));
        }
    }
    if out.json() {
        let rows: Vec<Row<'_>> = report
            .objects
            .iter()
            .zip(&outcomes)
            .map(|(m, outcome)| Row {
                at: ObjectAt::of(m),
                patches: outcome
                    .patches
                    .iter()
                    .map(|p| PatchRow {
                        op: &p.op,
                        path: &p.path,
                        value: p.value.as_ref(),
                        from: p.from.as_deref(),
                        policy: &p.policy,
                        rule: &p.rule,
                    })
                    .collect(),
            })
            .collect();
        out.print_json(&rows);
    } else {
        for (i, outcome) in outcomes.iter().enumerate() {
            if i > 0 {
                out.line("---");
            }
            out.line(mutate::to_yaml_string(&outcome.object).trim_end());
        }
        let changed = outcomes.iter().filter(|o| !o.patches.is_empty()).count();
        out.note(&format!(
            "{} objects, {changed} mutated by {} policies",
            outcomes.len(),
            load.policies.len()
        ));
    }
    if !report.errors.is_empty() {
        Exit::InputError
    } else if failed {
        Exit::Violation
    } else {
        Exit::Ok
    }
}
