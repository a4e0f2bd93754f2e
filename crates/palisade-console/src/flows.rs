//! Flow ingestion (`POST /api/v1/flows`): a Hubble export (`hubble observe
//! -o json`, one flow a line, as `palisade network flows` reads it) parsed
//! whole first (a line that is not a flow record refuses the batch), then
//! judged by the facade's [`FlowJudge`] against the loaded policies and, when
//! the inputs hold Otterize `ClientIntents`, the declared intent. Each
//! record with a finding becomes a network finding, repeats counted within
//! the batch, ready to store.
//!
//! Severities: `drift` of a flow the cluster forwarded but the policies deny
//! is an error (traffic passes that the policies forbid); `drift` of a
//! dropped flow the policies allow, and `declared-but-dropped`, are
//! warnings (a path is broken); `undeclared` is a notice.

use std::collections::BTreeMap;

use palisade::network::Issues;
use palisade::network::flows::{
    FlowFinding, FlowJudge, FlowReport, JudgedFlow, ObservedDirection, parse_line,
};
use palisade::network::intent::Declaration;
use palisade::{Finding, FlowRef, Layer, Palisade, Severity, Subject};
use serde_json::json;

use crate::ingest::{BatchError, printable};
use crate::store::{NewFlowFinding, now_ms};

/// Problems (records not judged) given back in the answer, at most.
const PROBLEMS: usize = 20;

/// A judged batch, ready to store: the facade's report (its `summary`
/// counts the records accepted) and the findings, one per (flow, finding),
/// repeats counted.
#[derive(Debug, Clone, Default)]
pub struct FlowBatch {
    /// The judged export.
    pub report: FlowReport,
    /// The findings to store.
    pub findings: Vec<NewFlowFinding>,
}

impl FlowBatch {
    /// Records that could not be judged (`body:line:column: message`), the
    /// first 20.
    pub fn problems(&self) -> Vec<String> {
        self.report
            .problems
            .iter()
            .take(PROBLEMS)
            .map(|p| printable(&p.to_string()))
            .collect()
    }

    /// The counts added to the cluster's totals: `(name, n)`.
    pub fn totals(&self) -> Vec<(&'static str, i64)> {
        let s = &self.report.summary;
        let n = |v: usize| i64::try_from(v).unwrap_or(i64::MAX);
        vec![
            ("records", n(s.records)),
            ("judged", n(s.judged)),
            ("allowed", n(s.allowed)),
            ("denied", n(s.denied)),
            ("replies", n(s.replies)),
            ("not-judged", n(s.not_judged.values().sum())),
            ("unknown-endpoints", n(s.unknown_endpoints)),
            ("missing-ports", n(s.missing_ports)),
            ("drift", n(s.drift)),
            ("declared-but-dropped", n(s.declared_but_dropped)),
            ("undeclared", n(s.undeclared)),
        ]
    }
}

/// The name of a finding (`drift`, ...).
fn finding_name(finding: FlowFinding) -> &'static str {
    match finding {
        FlowFinding::Drift => "drift",
        FlowFinding::DeclaredButDropped => "declared-but-dropped",
        FlowFinding::Undeclared => "undeclared",
    }
}

/// The direction's word (`ingress`, `egress`, `unknown`).
fn direction_name(direction: ObservedDirection) -> &'static str {
    match direction {
        ObservedDirection::Ingress => "ingress",
        ObservedDirection::Egress => "egress",
        ObservedDirection::Unknown => "unknown",
    }
}

/// The severity and the sentence of a judged flow's finding.
fn describe(flow: &JudgedFlow, finding: FlowFinding) -> (Severity, String) {
    let path = format!(
        "`{}` => `{}` {}/{}",
        flow.from, flow.to, flow.protocol, flow.port
    );
    let side = direction_name(flow.direction);
    match finding {
        FlowFinding::Drift if flow.observed == "FORWARDED" => (
            Severity::Error,
            format!(
                "{path} was forwarded ({side}) but the policies deny it: the cluster does not enforce these policies"
            ),
        ),
        FlowFinding::Drift => (
            Severity::Warning,
            format!(
                "{path} was dropped ({side}) but the policies allow it: the cluster runs other policies"
            ),
        ),
        FlowFinding::DeclaredButDropped => (
            Severity::Warning,
            format!("{path} is declared in the intents but was dropped ({side})"),
        ),
        FlowFinding::Undeclared => (
            Severity::Notice,
            format!("{path} was allowed ({side}) but no intent declares it"),
        ),
    }
}

/// The namespace of the side judged: the destination's at ingress (and
/// when not said), the source's at egress; empty for an address or entity.
fn namespace_of(flow: &JudgedFlow) -> String {
    let end = match flow.direction {
        ObservedDirection::Egress => &flow.from,
        ObservedDirection::Ingress | ObservedDirection::Unknown => &flow.to,
    };
    end.split_once('/')
        .map(|(ns, _)| ns.to_owned())
        .unwrap_or_default()
}

/// The finding of a judged flow, as the store keeps it.
fn to_finding(flow: &JudgedFlow, finding: FlowFinding, at: i64) -> NewFlowFinding {
    let (severity, message) = describe(flow, finding);
    let name = finding_name(finding);
    let mut report = Finding::new(
        Layer::Network,
        format!("network/flow-{name}"),
        severity,
        message,
    )
    .with_subject(Subject::Flow(FlowRef {
        from: flow.from.clone(),
        to: flow.to.clone(),
        port: Some(flow.port),
        protocol: Some(flow.protocol.as_str().to_owned()),
    }));
    if let Some(location) = flow
        .decided_by
        .iter()
        .flat_map(|e| &e.names)
        .find_map(|n| n.location.clone())
    {
        report = report.with_location(location);
    }
    let mut body = serde_json::to_value(&report).unwrap_or_default();
    if let Some(object) = body.as_object_mut() {
        object.insert(
            "flow".to_owned(),
            json!({
                "finding": name,
                "direction": flow.direction,
                "observed": flow.observed,
                "verdict": flow.verdict,
                "declared": flow.declared,
                "decided_by": flow.decided_by,
            }),
        );
    }
    NewFlowFinding {
        flow: format!(
            "{} => {} {}/{} {} {}",
            flow.from,
            flow.to,
            flow.protocol,
            flow.port,
            direction_name(flow.direction),
            flow.observed
        ),
        finding: name.to_owned(),
        severity: severity.as_str().to_owned(),
        policy: report.policy.clone(),
        namespace: namespace_of(flow),
        body: body.to_string(),
        count: 1,
        first_seen: at,
        last_seen: at,
    }
}

/// Parses and judges a batch against `palisade`'s policies (and its
/// `ClientIntents`, when it has some).
pub fn judge(palisade: &Palisade, body: &str) -> Result<FlowBatch, BatchError> {
    // Parsed whole first: a line that is not a record refuses the batch.
    for (i, line) in body.lines().enumerate() {
        if let Err(e) = parse_line(i + 1, line) {
            return Err(BatchError {
                error: format!(
                    "line {}, column {}: {}",
                    e.line,
                    e.column,
                    printable(&e.message)
                ),
                line: e.line,
            });
        }
    }
    if body.trim().is_empty() {
        return Err(BatchError {
            error: "the body holds no flow record (Hubble's JSON export, one flow a line)"
                .to_owned(),
            line: 0,
        });
    }
    let mut issues = Issues::default();
    let declaration = Declaration::from_manifests(palisade.inventory(), &mut issues);
    let declaration = (!declaration.intents.is_empty()).then_some(&declaration);
    let judge = FlowJudge::new(palisade.resolver(), declaration, &mut issues);
    let report = judge.judge_export("body", body);
    let at = now_ms();
    let mut findings: BTreeMap<(String, String), NewFlowFinding> = BTreeMap::new();
    for flow in &report.flows {
        let Some(finding) = flow.finding else {
            continue;
        };
        let new = to_finding(flow, finding, at);
        findings
            .entry((new.flow.clone(), new.finding.clone()))
            .and_modify(|seen| seen.count += 1)
            .or_insert(new);
    }
    Ok(FlowBatch {
        report,
        findings: findings.into_values().collect(),
    })
}
