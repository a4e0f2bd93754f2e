//! Judged flows that showed something (`POST /api/v1/flows`): one row per
//! (cluster, flow, finding) with its repeats and first and last time, and
//! the judging totals per cluster for the summary.

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{
    Bind, FINDING_FILTERS, Filters, Listed, Store, StoreError, json_column, per_cluster, rfc3339,
};

/// One flow finding of a batch, after dedup within the batch.
#[derive(Debug, Clone)]
pub struct NewFlowFinding {
    /// The flow: `from => to PROTO/port (direction, observed verdict)`,
    /// what repeats are counted by.
    pub flow: String,
    /// `drift`, `declared-but-dropped` or `undeclared`.
    pub finding: String,
    /// Its severity (`error`, `warning`, `notice`).
    pub severity: String,
    /// Its check (`network/flow-drift`, ...).
    pub policy: String,
    /// The namespace of the side judged (empty for an address).
    pub namespace: String,
    /// The finding as `palisade report --format json` writes it, with the
    /// judged flow under `flow`; JSON text.
    pub body: String,
    /// Repeats in the batch.
    pub count: i64,
    /// First seen (ms since the epoch).
    pub first_seen: i64,
    /// Last seen (ms since the epoch).
    pub last_seen: i64,
}

/// One stored flow finding as `GET /flows` and `GET /findings` serve it:
/// the finding with its cluster, repeats and times.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredFlowFinding {
    /// The finding (`layer`, `policy`, `severity`, `message`, `subject`,
    /// `location`, `flow`).
    #[serde(flatten)]
    pub finding: serde_json::Value,
    /// Its id (the cursor of the next page).
    pub id: i64,
    /// The cluster the flows came from.
    pub cluster: String,
    /// How many times the flow was observed.
    pub count: i64,
    /// First seen, RFC 3339.
    pub first_seen: String,
    /// Last seen, RFC 3339.
    pub last_seen: String,
}

/// The filters of `GET /flows` are those of `GET /findings` (the check,
/// `network/flow-drift` and kin, names the finding), and the time.
impl Listed for StoredFlowFinding {
    const COLUMNS: &'static str = "id, cluster, count, first_seen, last_seen, body";
    const TABLE: &'static str = "flow_findings";
    const FILTERS: Filters = Filters {
        conditions: FINDING_FILTERS.conditions,
        since: Some("last_seen >= ?"),
    };

    fn id(&self) -> i64 {
        self.id
    }

    fn read(row: &AnyRow) -> Result<StoredFlowFinding, sqlx::Error> {
        let time = |i: usize| row.try_get::<i64, _>(i).map(rfc3339);
        Ok(StoredFlowFinding {
            finding: json_column(row, 5)?,
            id: row.try_get(0)?,
            cluster: row.try_get(1)?,
            count: row.try_get(2)?,
            first_seen: time(3)?,
            last_seen: time(4)?,
        })
    }
}

impl Store {
    /// Stores a judged batch of `cluster` in one transaction: each finding
    /// inserted, or its count, last time and body updated when the same
    /// (cluster, flow, finding) is stored already; `totals` (`(name, n)`:
    /// records, judged, allowed, ...) added to the cluster's.
    pub async fn upsert_flow_findings(
        &self,
        cluster: &str,
        findings: &[NewFlowFinding],
        totals: &[(&str, i64)],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(|e| self.error(&e))?;
        self.note_cluster(&mut tx, cluster).await?;
        for f in findings {
            let binds = [
                Bind::Text(cluster),
                Bind::Text(&f.flow),
                Bind::Text(&f.finding),
                Bind::Text(&f.severity),
                Bind::Text(&f.policy),
                Bind::Text(&f.namespace),
                Bind::Text(&f.body),
                Bind::Int(f.count),
                Bind::Int(f.first_seen),
                Bind::Int(f.last_seen),
            ];
            self.execute(
                &mut tx,
                "INSERT INTO flow_findings (cluster, flow, finding, layer, severity, policy, namespace, body, count, first_seen, last_seen) \
                 VALUES ($1, $2, $3, 'network', $4, $5, $6, $7, $8, $9, $10) \
                 ON CONFLICT (cluster, flow, finding) DO UPDATE SET \
                 count = flow_findings.count + excluded.count, last_seen = excluded.last_seen, \
                 severity = excluded.severity, policy = excluded.policy, body = excluded.body",
                &binds,
            )
            .await?;
        }
        for (name, n) in totals.iter().filter(|(_, n)| *n > 0) {
            self.execute(
                &mut tx,
                "INSERT INTO flow_counts (cluster, name, n) VALUES ($1, $2, $3) \
                 ON CONFLICT (cluster, name) DO UPDATE SET n = flow_counts.n + excluded.n",
                &[Bind::Text(cluster), Bind::Text(name), Bind::Int(*n)],
            )
            .await?;
        }
        tx.commit().await.map_err(|e| self.error(&e))?;
        Ok(())
    }

    /// Stored flow findings by layer and severity (each distinct flow
    /// once), over every cluster or one.
    pub async fn flow_finding_counts(
        &self,
        cluster: Option<&str>,
    ) -> Result<Vec<(String, String, i64)>, StoreError> {
        let (sql, binds) = per_cluster(
            cluster,
            "SELECT layer, severity, COUNT(*) FROM flow_findings WHERE cluster = $1 GROUP BY layer, severity",
            "SELECT layer, severity, COUNT(*) FROM flow_findings GROUP BY layer, severity",
        );
        let rows = self.fetch_all(sql, &binds).await?;
        self.each(&rows, |row| {
            Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?))
        })
    }

    /// The clusters the store has heard of (the console's own, and every
    /// one named by an ingested batch), sorted.
    pub async fn clusters(&self) -> Result<Vec<String>, StoreError> {
        let rows = self
            .fetch_all("SELECT name FROM clusters ORDER BY name", &[])
            .await?;
        self.each(&rows, |row| row.try_get::<String, _>(0))
    }
}
