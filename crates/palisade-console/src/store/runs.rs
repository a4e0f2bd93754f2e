//! Audit runs: each run's posture, coverage and findings, kept for trends.

use sqlx::Row;

use super::{Bind, Filter, Filters, Select, Store, StoreError};

/// The filters of `GET /findings` (within one run, and over the stored
/// flow findings, whose table has the same columns).
pub const FINDING_FILTERS: Filters = Filters {
    conditions: &[
        ("cluster", "cluster = ?"),
        ("layer", "layer = ?"),
        ("severity", "severity = ?"),
        ("namespace", "namespace = ?"),
        ("policy", "policy = ?"),
    ],
    since: None,
};

/// One audit run to store.
#[derive(Debug, Clone)]
pub struct Run {
    /// The cluster.
    pub cluster: String,
    /// When (ms).
    pub at: i64,
    /// The posture score.
    pub score: i64,
    /// The posture, as JSON text.
    pub posture: String,
    /// The coverage table, as JSON text.
    pub coverage: String,
    /// The findings.
    pub findings: Vec<RunFinding>,
}

/// One finding of a run.
#[derive(Debug, Clone)]
pub struct RunFinding {
    /// Its layer.
    pub layer: String,
    /// Its severity.
    pub severity: String,
    /// Its policy.
    pub policy: String,
    /// The subject's namespace (empty when none).
    pub namespace: String,
    /// The finding as `palisade report --format json` writes it.
    pub body: String,
}

impl Store {
    /// Stores an audit run: its posture, coverage and findings.
    pub async fn save_run(&self, run: &Run) -> Result<i64, StoreError> {
        let mut tx = self.pool.begin().await.map_err(|e| self.error(&e))?;
        let row = sqlx::query(
            "INSERT INTO runs (cluster, at, score, posture, coverage) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(&run.cluster)
        .bind(run.at)
        .bind(run.score)
        .bind(&run.posture)
        .bind(&run.coverage)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| self.error(&e))?;
        let id: i64 = row.try_get(0).map_err(|e| self.error(&e))?;
        self.note_cluster(&mut tx, &run.cluster).await?;
        for f in &run.findings {
            sqlx::query(
                "INSERT INTO findings (run_id, cluster, layer, severity, policy, namespace, body) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id)
            .bind(&run.cluster)
            .bind(&f.layer)
            .bind(&f.severity)
            .bind(&f.policy)
            .bind(&f.namespace)
            .bind(&f.body)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.error(&e))?;
        }
        tx.commit().await.map_err(|e| self.error(&e))?;
        Ok(id)
    }

    /// The latest run of `cluster`: `(id, at, score, posture, coverage)`.
    pub async fn latest_run(
        &self,
        cluster: &str,
    ) -> Result<Option<(i64, i64, i64, String, String)>, StoreError> {
        let rows = self
            .fetch_all(
                "SELECT id, at, score, posture, coverage FROM runs WHERE cluster = $1 ORDER BY id DESC LIMIT 1",
                &[Bind::Text(cluster)],
            )
            .await?;
        let mut runs = self.each(&rows, |row| {
            Ok((
                row.try_get(0)?,
                row.try_get(1)?,
                row.try_get(2)?,
                row.try_get(3)?,
                row.try_get(4)?,
            ))
        })?;
        Ok(runs.pop())
    }

    /// Findings of run `run_id` matching `filter` ([`FINDING_FILTERS`]):
    /// `(id, body)`.
    pub async fn findings(
        &self,
        run_id: i64,
        filter: &Filter,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let rows = Select::from("id, body", "findings")
            .and("run_id = ?", Bind::Int(run_id))
            .page(self, filter)
            .await?;
        self.each(&rows, |row| Ok((row.try_get(0)?, row.try_get(1)?)))
    }

    /// Finding counts of run `run_id` by layer and severity.
    pub async fn finding_counts(
        &self,
        run_id: i64,
    ) -> Result<Vec<(String, String, i64)>, StoreError> {
        let rows = self
            .fetch_all(
                "SELECT layer, severity, COUNT(*) FROM findings WHERE run_id = $1 GROUP BY layer, severity",
                &[Bind::Int(run_id)],
            )
            .await?;
        self.each(&rows, |row| {
            Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?))
        })
    }

    /// The distinct `(namespace, policy, severity)` of run `run_id`'s
    /// findings of `layer`: the web pages' filter choices.
    pub async fn finding_facets(
        &self,
        run_id: i64,
        layer: &str,
    ) -> Result<Vec<(String, String, String)>, StoreError> {
        let rows = self
            .fetch_all(
                "SELECT DISTINCT namespace, policy, severity FROM findings WHERE run_id = $1 AND layer = $2",
                &[Bind::Int(run_id), Bind::Text(layer)],
            )
            .await?;
        self.each(&rows, |row| {
            Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?))
        })
    }

    /// How many findings of run `run_id` each policy has: `(policy, n)`.
    pub async fn policy_counts(&self, run_id: i64) -> Result<Vec<(String, i64)>, StoreError> {
        self.counts(
            "SELECT policy, COUNT(*) FROM findings WHERE run_id = $1 GROUP BY policy",
            &[Bind::Int(run_id)],
        )
        .await
    }

    /// The latest `limit` audit runs of `cluster` as `(at ms, score)`,
    /// oldest first: the posture trend.
    pub async fn scores(&self, cluster: &str, limit: i64) -> Result<Vec<(i64, i64)>, StoreError> {
        let rows = self
            .fetch_all(
                "SELECT at, score FROM (SELECT id, at, score FROM runs WHERE cluster = $1 ORDER BY id DESC LIMIT $2) AS latest ORDER BY id",
                &[Bind::Text(cluster), Bind::Int(limit)],
            )
            .await?;
        self.each(&rows, |row| Ok((row.try_get(0)?, row.try_get(1)?)))
    }
}
