//! Deduplicated alerts: one row per (cluster, rule, output), its count and
//! first and last time; their totals by routing for the summary.

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Bind, Filters, Listed, Store, StoreError, json_column, rfc3339};

/// One deduplicated alert as stored and served.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredAlert {
    /// Its id.
    pub id: i64,
    /// The rule that fired.
    pub rule: String,
    /// Its priority as Falco spells it in JSON (`Critical`, `Warning`, ...).
    pub priority: String,
    /// How many times it fired.
    pub count: i64,
    /// First time seen, RFC 3339.
    pub first_seen: String,
    /// Last time seen, RFC 3339.
    pub last_seen: String,
    /// The rule's output, filled.
    pub output: String,
    /// The event's fields.
    pub fields: serde_json::Value,
    /// The cluster it came from.
    pub cluster: String,
    /// `oncall` or `review`.
    pub routed: String,
}

/// One alert of a batch, after dedup within the batch.
#[derive(Debug, Clone)]
pub struct NewAlert {
    /// The cluster.
    pub cluster: String,
    /// The rule.
    pub rule: String,
    /// Falco's spelling of the priority.
    pub priority: String,
    /// The severity, for ordering.
    pub severity: i64,
    /// The filled output.
    pub output: String,
    /// The last event's fields, as JSON text.
    pub fields: String,
    /// Repeats in the batch.
    pub count: i64,
    /// First seen in the batch (ms since the epoch).
    pub first_seen: i64,
    /// Last seen in the batch (ms since the epoch).
    pub last_seen: i64,
    /// `oncall` or `review`.
    pub routed: String,
}

/// What storing one alert found: its id, and when on-call was last told.
#[derive(Debug, Clone, Copy)]
pub struct Upserted {
    /// The alert's id.
    pub id: i64,
    /// Its total count after this batch.
    pub count: i64,
    /// When on-call was last notified (ms), if ever.
    pub notified_at: Option<i64>,
}

impl Listed for StoredAlert {
    const TABLE: &'static str = "alerts";
    const COLUMNS: &'static str =
        "id, rule, priority, count, first_seen, last_seen, output, fields, cluster, routed";
    /// The filters of `GET /alerts`.
    const FILTERS: Filters = Filters {
        conditions: &[
            ("rule", "rule = ?"),
            ("priority", "priority = ?"),
            ("cluster", "cluster = ?"),
        ],
        since: Some("last_seen >= ?"),
    };

    fn read(row: &AnyRow) -> Result<StoredAlert, sqlx::Error> {
        Ok(StoredAlert {
            id: row.try_get(0)?,
            rule: row.try_get(1)?,
            priority: row.try_get(2)?,
            count: row.try_get(3)?,
            first_seen: rfc3339(row.try_get(4)?),
            last_seen: rfc3339(row.try_get(5)?),
            output: row.try_get(6)?,
            fields: json_column(row, 7)?,
            cluster: row.try_get(8)?,
            routed: row.try_get(9)?,
        })
    }

    fn id(&self) -> i64 {
        self.id
    }
}

impl Store {
    /// Stores a batch of alerts in one transaction: each is inserted, or
    /// its count, last time and fields updated when the same (cluster, rule,
    /// output) is stored already.
    pub async fn upsert_alerts(&self, alerts: &[NewAlert]) -> Result<Vec<Upserted>, StoreError> {
        let mut tx = self.pool.begin().await.map_err(|e| self.error(&e))?;
        let mut out = Vec::with_capacity(alerts.len());
        let mut new_clusters: Vec<&str> = Vec::new();
        for a in alerts {
            let row = sqlx::query(
                "INSERT INTO alerts (cluster, rule, priority, severity, output, fields, count, first_seen, last_seen, routed) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                 ON CONFLICT (cluster, rule, output) DO UPDATE SET \
                 count = alerts.count + excluded.count, last_seen = excluded.last_seen, fields = excluded.fields \
                 RETURNING id, count, notified_at",
            )
            .bind(&a.cluster)
            .bind(&a.rule)
            .bind(&a.priority)
            .bind(a.severity)
            .bind(&a.output)
            .bind(&a.fields)
            .bind(a.count)
            .bind(a.first_seen)
            .bind(a.last_seen)
            .bind(&a.routed)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| self.error(&e))?;
            let up = Upserted {
                id: row.try_get(0).map_err(|e| self.error(&e))?,
                count: row.try_get(1).map_err(|e| self.error(&e))?,
                notified_at: row.try_get(2).map_err(|e| self.error(&e))?,
            };
            if up.count == a.count {
                // A new alert: one more in the summary's counts, overall
                // and for its cluster.
                sqlx::query(
                    "INSERT INTO alert_counts (routed, n) VALUES ($1, 1) \
                     ON CONFLICT (routed) DO UPDATE SET n = alert_counts.n + 1",
                )
                .bind(&a.routed)
                .execute(&mut *tx)
                .await
                .map_err(|e| self.error(&e))?;
                sqlx::query(
                    "INSERT INTO cluster_alert_counts (cluster, routed, n) VALUES ($1, $2, 1) \
                     ON CONFLICT (cluster, routed) DO UPDATE SET n = cluster_alert_counts.n + 1",
                )
                .bind(&a.cluster)
                .bind(&a.routed)
                .execute(&mut *tx)
                .await
                .map_err(|e| self.error(&e))?;
                if !new_clusters.contains(&a.cluster.as_str()) {
                    self.note_cluster(&mut tx, &a.cluster).await?;
                    new_clusters.push(&a.cluster);
                }
            }
            out.push(up);
        }
        tx.commit().await.map_err(|e| self.error(&e))?;
        Ok(out)
    }

    /// Records that on-call was told about alert `id` at `at` (ms).
    pub async fn mark_notified(&self, id: i64, at: i64) -> Result<(), StoreError> {
        self.fetch_all(
            "UPDATE alerts SET notified_at = $1 WHERE id = $2",
            &[Bind::Int(at), Bind::Int(id)],
        )
        .await?;
        Ok(())
    }

    /// The alerts routed `routed` (`oncall` or `review`), newest first (by
    /// last seen, then id), strictly before the key `before` (`(last_seen
    /// ms, id)` of the previous page's last row): the web pages' lists, as
    /// `(last_seen ms, alert)`.
    pub async fn recent_alerts(
        &self,
        routed: &str,
        before: Option<(i64, i64)>,
        limit: i64,
    ) -> Result<Vec<(i64, StoredAlert)>, StoreError> {
        let (last_seen, id) = before.unwrap_or((i64::MAX, i64::MAX));
        let rows = self
            .fetch_all(
                "SELECT id, rule, priority, count, first_seen, last_seen, output, fields, cluster, routed FROM alerts \
                 WHERE routed = $1 AND (last_seen < $2 OR (last_seen = $2 AND id < $3)) \
                 ORDER BY last_seen DESC, id DESC LIMIT $4",
                &[
                    Bind::Text(routed),
                    Bind::Int(last_seen),
                    Bind::Int(id),
                    Bind::Int(limit),
                ],
            )
            .await?;
        self.each(&rows, |row| Ok((row.try_get(5)?, StoredAlert::read(row)?)))
    }

    /// Stored alerts by routing, over every cluster or one: `(oncall, review)`.
    pub async fn alert_counts(&self, cluster: Option<&str>) -> Result<(i64, i64), StoreError> {
        let (mut oncall, mut review) = (0, 0);
        let counts = self.totals(super::Totals::Alerts, cluster).await?;
        for (routed, n) in counts {
            if routed == "oncall" {
                oncall += n;
            } else {
                review += n;
            }
        }
        Ok((oncall, review))
    }
}
