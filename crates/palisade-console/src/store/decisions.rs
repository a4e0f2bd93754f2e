//! Admission decisions forwarded by the webhook: one row per decision, one
//! row per policy that spoke (for the `policy` filter), and totals per
//! cluster and verdict for the summary.

use serde::Serialize;
use sqlx::Row;

use super::{Filters, Listed, Store, StoreError, json_column};
use sqlx::any::AnyRow;

/// One decision to store: what the filters read, apart, and the whole
/// decision as forwarded (`body`, JSON text).
#[derive(Debug, Clone)]
pub struct NewDecision {
    /// When it was answered (ms since the epoch).
    pub at: i64,
    /// The review's uid.
    pub uid: String,
    /// The operation.
    pub operation: String,
    /// The object's kind.
    pub kind: String,
    /// The object's namespace.
    pub namespace: String,
    /// The object's name.
    pub name: String,
    /// What the API server was told.
    pub allowed: bool,
    /// `allowed`, `denied`, `error` or `timeout`.
    pub verdict: &'static str,
    /// A dry-run request.
    pub dry_run: bool,
    /// `(policy, action)` of each policy that spoke.
    pub policies: Vec<(String, String)>,
    /// The decision as forwarded, JSON text.
    pub body: String,
}

/// One stored decision as `GET /decisions` serves it: the forwarded
/// decision with its id and cluster.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredDecision {
    /// Its id (the cursor of the next page).
    pub id: i64,
    /// The cluster it came from.
    pub cluster: String,
    /// The decision as forwarded.
    #[serde(flatten)]
    pub decision: serde_json::Value,
}

impl Listed for StoredDecision {
    const TABLE: &'static str = "admission_decisions";
    const COLUMNS: &'static str = "id, cluster, body";
    /// The filters of `GET /decisions`; `policy` selects the decisions where
    /// that policy spoke.
    const FILTERS: Filters = Filters {
        conditions: &[
            ("cluster", "cluster = ?"),
            ("namespace", "namespace = ?"),
            ("kind", "kind = ?"),
            ("verdict", "verdict = ?"),
            (
                "policy",
                "id IN (SELECT decision_id FROM decision_policies WHERE policy = ?)",
            ),
        ],
        since: Some("at >= ?"),
    };

    fn read(row: &AnyRow) -> Result<StoredDecision, sqlx::Error> {
        Ok(StoredDecision {
            id: row.try_get(0)?,
            cluster: row.try_get(1)?,
            decision: json_column(row, 2)?,
        })
    }

    fn id(&self) -> i64 {
        self.id
    }
}

impl Store {
    /// Stores a batch of decisions of `cluster` in one transaction.
    pub async fn insert_decisions(
        &self,
        cluster: &str,
        decisions: &[NewDecision],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(|e| self.error(&e))?;
        if !decisions.is_empty() {
            self.note_cluster(&mut tx, cluster).await?;
        }
        for d in decisions {
            let row = sqlx::query(
                "INSERT INTO admission_decisions (cluster, at, uid, operation, kind, namespace, name, allowed, verdict, dry_run, body) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
            )
            .bind(cluster)
            .bind(d.at)
            .bind(&d.uid)
            .bind(&d.operation)
            .bind(&d.kind)
            .bind(&d.namespace)
            .bind(&d.name)
            .bind(i64::from(d.allowed))
            .bind(d.verdict)
            .bind(i64::from(d.dry_run))
            .bind(&d.body)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| self.error(&e))?;
            let id: i64 = row.try_get(0).map_err(|e| self.error(&e))?;
            for (policy, action) in &d.policies {
                sqlx::query(
                    "INSERT INTO decision_policies (decision_id, policy, action) VALUES ($1, $2, $3)",
                )
                .bind(id)
                .bind(policy)
                .bind(action)
                .execute(&mut *tx)
                .await
                .map_err(|e| self.error(&e))?;
            }
            sqlx::query(
                "INSERT INTO decision_counts (cluster, verdict, n) VALUES ($1, $2, 1) \
                 ON CONFLICT (cluster, verdict) DO UPDATE SET n = decision_counts.n + 1",
            )
            .bind(cluster)
            .bind(d.verdict)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.error(&e))?;
        }
        tx.commit().await.map_err(|e| self.error(&e))?;
        Ok(())
    }
}
