//! The counts `GET /api/v1/summary` answers and the overview page shows:
//! findings by layer and severity (the latest audit's and the stored flow
//! findings'), alerts by routing, admission decisions by verdict and the
//! flow judging totals, over every cluster or one.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::app::App;
use crate::decisions::Verdict;
use crate::store::{StoreError, Totals, rfc3339};

/// The counts of one cluster, or of all.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    /// `(layer, severity, n)`: the audit's findings (when the cluster is
    /// the console's own, or all are asked) and the flow findings.
    pub findings: Vec<(String, String, i64)>,
    /// Alerts escalated to on-call.
    pub oncall: i64,
    /// Alerts for review.
    pub review: i64,
    /// Admission decisions by verdict (every verdict, 0 when none).
    pub verdicts: BTreeMap<&'static str, i64>,
    /// The flow judging totals (`records`, `judged`, `drift`, ...).
    pub flows: BTreeMap<String, i64>,
}

/// Why there is no summary.
#[derive(Debug)]
pub enum Missing {
    /// No audit has run yet.
    NoAudit,
    /// The store failed.
    Store(StoreError),
}

/// The counts of `cluster` (all when `None`), with the findings of audit
/// run `run` (the console's own cluster's).
pub async fn counts(app: &App, run: i64, cluster: Option<&str>) -> Result<Counts, StoreError> {
    let store = &app.store;
    let mut findings = if cluster.is_none_or(|c| c == app.config.cluster) {
        store.finding_counts(run).await?
    } else {
        Vec::new()
    };
    findings.extend(store.flow_finding_counts(cluster).await?);
    let (oncall, review) = store.alert_counts(cluster).await?;
    let mut verdicts: BTreeMap<&'static str, i64> =
        Verdict::ALL.iter().map(|v| (v.as_str(), 0)).collect();
    for (verdict, n) in store.totals(Totals::Decisions, cluster).await? {
        if let Some(slot) = verdicts.get_mut(verdict.as_str()) {
            *slot += n;
        }
    }
    let flows = store
        .totals(Totals::Flows, cluster)
        .await?
        .into_iter()
        .collect();
    Ok(Counts {
        findings,
        oncall,
        review,
        verdicts,
        flows,
    })
}

/// The summary of `cluster` (all when `None`) as `GET /summary` answers it.
pub async fn of(app: &App, cluster: Option<&str>) -> Result<Value, Missing> {
    let (run, at, _, posture, _) = app
        .store
        .latest_run(&app.config.cluster)
        .await
        .map_err(Missing::Store)?
        .ok_or(Missing::NoAudit)?;
    let counts = counts(app, run, cluster).await.map_err(Missing::Store)?;
    let mut findings: BTreeMap<&str, BTreeMap<&str, i64>> = BTreeMap::new();
    for (layer, severity, n) in &counts.findings {
        *findings
            .entry(layer)
            .or_default()
            .entry(severity)
            .or_default() += n;
    }
    let posture: Value = serde_json::from_str(&posture).unwrap_or(Value::Null);
    let decided: i64 = counts.verdicts.values().sum();
    Ok(json!({
        "score": posture.get("score").cloned().unwrap_or(Value::Null),
        "findings": findings,
        "alerts": {"total": counts.oncall + counts.review, "oncall": counts.oncall, "review": counts.review},
        "admission": {"total": decided, "verdicts": counts.verdicts},
        "flows": counts.flows,
        "last_audit": rfc3339(at),
    }))
}
