//! The store: SQLite (embedded, the default) or PostgreSQL through one
//! `sqlx` pool, the same tables created by each backend's migrations.
//! Every value is bound as a parameter, never spliced into SQL.

use std::str::FromStr;

use serde::Serialize;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Row};

/// The store could not be opened or used.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("database `{url}`: {message}")]
#[diagnostic(
    code(palisade::console::store),
    help(
        "`--db` takes a SQLite file (`palisade.db`, created on first run) or `postgres://user@host:port/db`"
    )
)]
pub struct StoreError {
    /// The database, with any password removed.
    pub url: String,
    /// What went wrong.
    pub message: String,
}

/// Which database holds the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

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

/// Filters of `GET /alerts`.
#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    /// Only this rule.
    pub rule: Option<String>,
    /// Only this priority (Falco's spelling).
    pub priority: Option<String>,
    /// Only this cluster.
    pub cluster: Option<String>,
    /// Only alerts last seen at or after (ms).
    pub since: Option<i64>,
    /// Only ids above this (the cursor).
    pub after: i64,
    /// At most this many.
    pub limit: i64,
}

/// A stored rule state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleState {
    /// The rule.
    pub name: String,
    /// Switched on.
    pub enabled: bool,
    /// `alert` or `observe`.
    pub mode: String,
}

/// The store.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

/// The migrations of each backend.
static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// `url` without a password (`postgres://user:secret@host` -> `postgres://user@host`).
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = url.get(scheme + 3..at).unwrap_or_default();
            let user = userinfo.split(':').next().unwrap_or_default();
            format!(
                "{}{user}{}",
                url.get(..scheme + 3).unwrap_or_default(),
                url.get(at..).unwrap_or_default()
            )
        }
        _ => url.to_owned(),
    }
}

impl Store {
    /// Opens (and creates, for SQLite) the database at `db` and runs the
    /// migrations: a `postgres://` URL, an `sqlite:` URL, or a file path.
    pub async fn open(db: &str) -> Result<Store, StoreError> {
        install_default_drivers();
        let fail = |e: &dyn std::fmt::Display| StoreError {
            url: redact(db),
            message: e.to_string(),
        };
        let (url, backend) = if db.starts_with("postgres://") || db.starts_with("postgresql://") {
            (db.to_owned(), Backend::Postgres)
        } else if db.starts_with("sqlite:") {
            (db.to_owned(), Backend::Sqlite)
        } else {
            (format!("sqlite://{db}?mode=rwc"), Backend::Sqlite)
        };
        // SQLite: one writer at a time anyway; WAL lets readers go on.
        let options = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { 8 })
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        sqlx::query("PRAGMA journal_mode = WAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA synchronous = NORMAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA busy_timeout = 5000")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            });
        let pool = options.connect(&url).await.map_err(|e| fail(&e))?;
        let migrator = match backend {
            Backend::Sqlite => &SQLITE,
            Backend::Postgres => &POSTGRES,
        };
        migrator.run(&pool).await.map_err(|e| fail(&e))?;
        Ok(Store { pool, backend })
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    fn error(&self, e: &sqlx::Error) -> StoreError {
        StoreError {
            url: match self.backend {
                Backend::Sqlite => "sqlite".to_owned(),
                Backend::Postgres => "postgres".to_owned(),
            },
            message: e.to_string(),
        }
    }

    /// Stores a batch of alerts in one transaction: each is inserted, or
    /// its count, last time and fields updated when the same (cluster, rule,
    /// output) is stored already.
    pub async fn upsert_alerts(&self, alerts: &[NewAlert]) -> Result<Vec<Upserted>, StoreError> {
        let mut tx = self.pool.begin().await.map_err(|e| self.error(&e))?;
        let mut out = Vec::with_capacity(alerts.len());
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
                // A new alert: one more in the summary's counts.
                sqlx::query(
                    "INSERT INTO alert_counts (routed, n) VALUES ($1, 1) \
                     ON CONFLICT (routed) DO UPDATE SET n = alert_counts.n + 1",
                )
                .bind(&a.routed)
                .execute(&mut *tx)
                .await
                .map_err(|e| self.error(&e))?;
            }
            out.push(up);
        }
        tx.commit().await.map_err(|e| self.error(&e))?;
        Ok(out)
    }

    /// Records that on-call was told about alert `id` at `at` (ms).
    pub async fn mark_notified(&self, id: i64, at: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE alerts SET notified_at = $1 WHERE id = $2")
            .bind(at)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(|e| self.error(&e))?;
        Ok(())
    }

    /// Alerts matching `filter`, by id.
    pub async fn alerts(&self, filter: &AlertFilter) -> Result<Vec<StoredAlert>, StoreError> {
        let mut sql = String::from(
            "SELECT id, rule, priority, count, first_seen, last_seen, output, fields, cluster, routed FROM alerts WHERE id > $1",
        );
        let mut n = 1;
        let mut binds: Vec<&str> = Vec::new();
        for (column, value) in [
            ("rule", &filter.rule),
            ("priority", &filter.priority),
            ("cluster", &filter.cluster),
        ] {
            if let Some(v) = value {
                n += 1;
                sql.push_str(&format!(" AND {column} = ${n}"));
                binds.push(v);
            }
        }
        if filter.since.is_some() {
            n += 1;
            sql.push_str(&format!(" AND last_seen >= ${n}"));
        }
        n += 1;
        sql.push_str(&format!(" ORDER BY id LIMIT ${n}"));
        let mut query = sqlx::query(&sql).bind(filter.after);
        for b in binds {
            query = query.bind(b);
        }
        if let Some(since) = filter.since {
            query = query.bind(since);
        }
        query = query.bind(filter.limit);
        let rows = query
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.error(&e))?;
        rows.iter()
            .map(stored_alert)
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(|e| self.error(&e))
    }

    /// The latest `limit` audit runs of `cluster` as `(at ms, score)`,
    /// oldest first: the posture trend.
    pub async fn scores(&self, cluster: &str, limit: i64) -> Result<Vec<(i64, i64)>, StoreError> {
        let query = sqlx::query(
            "SELECT at, score FROM (SELECT id, at, score FROM runs WHERE cluster = $1 ORDER BY id DESC LIMIT $2) AS latest ORDER BY id",
        );
        let rows = query.bind(cluster).bind(limit).fetch_all(&self.pool).await;
        let rows = rows.map_err(|e| self.error(&e))?;
        self.each(&rows, |row| Ok((row.try_get(0)?, row.try_get(1)?)))
    }

    /// How many findings of run `run_id` each policy has: `(policy, n)`.
    pub async fn policy_counts(&self, run_id: i64) -> Result<Vec<(String, i64)>, StoreError> {
        let query =
            sqlx::query("SELECT policy, COUNT(*) FROM findings WHERE run_id = $1 GROUP BY policy");
        let rows = query.bind(run_id).fetch_all(&self.pool).await;
        let rows = rows.map_err(|e| self.error(&e))?;
        self.each(&rows, |row| Ok((row.try_get(0)?, row.try_get(1)?)))
    }

    /// The distinct `(namespace, policy, severity)` of run `run_id`'s
    /// findings of `layer`: the web pages' filter choices.
    pub async fn finding_facets(
        &self,
        run_id: i64,
        layer: &str,
    ) -> Result<Vec<(String, String, String)>, StoreError> {
        let query = sqlx::query(
            "SELECT DISTINCT namespace, policy, severity FROM findings WHERE run_id = $1 AND layer = $2",
        );
        let rows = query.bind(run_id).bind(layer).fetch_all(&self.pool).await;
        let rows = rows.map_err(|e| self.error(&e))?;
        self.each(&rows, |row| {
            Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?))
        })
    }

    /// `read` applied to every row, the first failure reported.
    fn each<T>(
        &self,
        rows: &[sqlx::any::AnyRow],
        read: impl Fn(&sqlx::any::AnyRow) -> Result<T, sqlx::Error>,
    ) -> Result<Vec<T>, StoreError> {
        let read: Result<Vec<T>, sqlx::Error> = rows.iter().map(read).collect();
        read.map_err(|e| self.error(&e))
    }

    /// The alerts routed `routed` (`oncall` or `review`), newest first (by
    /// last seen, then id), strictly before the key `before` (`(last_seen
    /// ms, id)` of the previous page's last row): the web pages' lists.
    pub async fn recent_alerts(
        &self,
        routed: &str,
        before: Option<(i64, i64)>,
        limit: i64,
    ) -> Result<Vec<(i64, StoredAlert)>, StoreError> {
        let (last_seen, id) = before.unwrap_or((i64::MAX, i64::MAX));
        let mut query = sqlx::query(
            "SELECT id, rule, priority, count, first_seen, last_seen, output, fields, cluster, routed FROM alerts \
             WHERE routed = $1 AND (last_seen < $2 OR (last_seen = $2 AND id < $3)) \
             ORDER BY last_seen DESC, id DESC LIMIT $4",
        )
        .bind(routed);
        for value in [last_seen, id, limit] {
            query = query.bind(value);
        }
        let rows = query.fetch_all(&self.pool).await;
        let rows = rows.map_err(|e| self.error(&e))?;
        self.each(&rows, |row| Ok((row.try_get(5)?, stored_alert(row)?)))
    }

    /// Stored alerts by routing: `(oncall, review)`.
    pub async fn alert_counts(&self) -> Result<(i64, i64), StoreError> {
        let rows = sqlx::query("SELECT routed, n FROM alert_counts")
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.error(&e))?;
        let (mut oncall, mut review) = (0, 0);
        for row in rows {
            let routed: String = row.try_get(0).map_err(|e| self.error(&e))?;
            let n: i64 = row.try_get(1).map_err(|e| self.error(&e))?;
            if routed == "oncall" {
                oncall += n;
            } else {
                review += n;
            }
        }
        Ok((oncall, review))
    }

    /// Every stored rule state.
    pub async fn rule_states(&self) -> Result<Vec<RuleState>, StoreError> {
        let rows = sqlx::query("SELECT name, enabled, mode FROM rule_states")
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.error(&e))?;
        rows.iter()
            .map(|row| {
                let enabled: i64 = row.try_get(1)?;
                Ok(RuleState {
                    name: row.try_get(0)?,
                    enabled: enabled != 0,
                    mode: row.try_get(2)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(|e| self.error(&e))
    }

    /// Saves a rule's state.
    pub async fn save_rule_state(&self, state: &RuleState, at: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO rule_states (name, enabled, mode, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO UPDATE SET enabled = excluded.enabled, mode = excluded.mode, updated_at = excluded.updated_at",
        )
        .bind(&state.name)
        .bind(i64::from(state.enabled))
        .bind(&state.mode)
        .bind(at)
        .execute(&self.pool)
        .await
        .map_err(|e| self.error(&e))?;
        Ok(())
    }

    /// Every exception: `(rule, body as JSON text)`, in the order added.
    pub async fn exceptions(&self) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query("SELECT rule, body FROM exceptions ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.error(&e))?;
        rows.iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(|e| self.error(&e))
    }

    /// Adds an exception.
    pub async fn add_exception(&self, rule: &str, body: &str, at: i64) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO exceptions (rule, body, created_at) VALUES ($1, $2, $3)")
            .bind(rule)
            .bind(body)
            .bind(at)
            .execute(&self.pool)
            .await
            .map_err(|e| self.error(&e))?;
        Ok(())
    }

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
        let row = sqlx::query(
            "SELECT id, at, score, posture, coverage FROM runs WHERE cluster = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(cluster)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| self.error(&e))?;
        row.map(|row| {
            Ok((
                row.try_get(0)?,
                row.try_get(1)?,
                row.try_get(2)?,
                row.try_get(3)?,
                row.try_get(4)?,
            ))
        })
        .transpose()
        .map_err(|e: sqlx::Error| self.error(&e))
    }

    /// Findings of run `run_id` matching the filters, after id `after`:
    /// `(id, body)`.
    pub async fn findings(
        &self,
        run_id: i64,
        filter: &FindingFilter,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let mut sql = String::from("SELECT id, body FROM findings WHERE run_id = $1 AND id > $2");
        let mut n = 2;
        let mut binds: Vec<&str> = Vec::new();
        for (column, value) in [
            ("layer", &filter.layer),
            ("severity", &filter.severity),
            ("namespace", &filter.namespace),
            ("policy", &filter.policy),
        ] {
            if let Some(v) = value {
                n += 1;
                sql.push_str(&format!(" AND {column} = ${n}"));
                binds.push(v);
            }
        }
        n += 1;
        sql.push_str(&format!(" ORDER BY id LIMIT ${n}"));
        let mut query = sqlx::query(&sql).bind(run_id).bind(filter.after);
        for b in binds {
            query = query.bind(b);
        }
        let rows = query
            .bind(filter.limit)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.error(&e))?;
        rows.iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(|e| self.error(&e))
    }

    /// Finding counts of run `run_id` by layer and severity.
    pub async fn finding_counts(
        &self,
        run_id: i64,
    ) -> Result<Vec<(String, String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT layer, severity, COUNT(*) FROM findings WHERE run_id = $1 GROUP BY layer, severity",
        )
        .bind(run_id)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.error(&e))?;
        rows.iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)))
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(|e| self.error(&e))
    }

    /// Deletes alerts last seen and runs made before `before` (ms):
    /// retention by age. Returns how many alerts went.
    pub async fn expire(&self, before: i64) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await.map_err(|e| self.error(&e))?;
        let gone = sqlx::query("DELETE FROM alerts WHERE last_seen < $1")
            .bind(before)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.error(&e))?
            .rows_affected();
        // Recount what is left (rare: retention runs hourly).
        sqlx::query("DELETE FROM alert_counts")
            .execute(&mut *tx)
            .await
            .map_err(|e| self.error(&e))?;
        sqlx::query("INSERT INTO alert_counts (routed, n) SELECT routed, COUNT(*) FROM alerts GROUP BY routed")
            .execute(&mut *tx)
            .await
            .map_err(|e| self.error(&e))?;
        sqlx::query("DELETE FROM findings WHERE run_id IN (SELECT id FROM runs WHERE at < $1)")
            .bind(before)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.error(&e))?;
        sqlx::query("DELETE FROM runs WHERE at < $1")
            .bind(before)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.error(&e))?;
        tx.commit().await.map_err(|e| self.error(&e))?;
        Ok(gone)
    }
}

/// Filters of `GET /findings`.
#[derive(Debug, Clone, Default)]
pub struct FindingFilter {
    /// Only this layer.
    pub layer: Option<String>,
    /// Only this severity.
    pub severity: Option<String>,
    /// Only this namespace.
    pub namespace: Option<String>,
    /// Only this policy.
    pub policy: Option<String>,
    /// Only ids above this (the cursor).
    pub after: i64,
    /// At most this many.
    pub limit: i64,
}

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

/// One row of `SELECT id, rule, priority, count, first_seen, last_seen,
/// output, fields, cluster, routed FROM alerts`.
fn stored_alert(row: &sqlx::any::AnyRow) -> Result<StoredAlert, sqlx::Error> {
    let fields: String = row.try_get(7)?;
    Ok(StoredAlert {
        id: row.try_get(0)?,
        rule: row.try_get(1)?,
        priority: row.try_get(2)?,
        count: row.try_get(3)?,
        first_seen: rfc3339(row.try_get(4)?),
        last_seen: rfc3339(row.try_get(5)?),
        output: row.try_get(6)?,
        fields: serde_json::from_str(&fields).unwrap_or(serde_json::Value::Null),
        cluster: row.try_get(8)?,
        routed: row.try_get(9)?,
    })
}

/// Milliseconds since the epoch as RFC 3339 (UTC, milliseconds).
pub fn rfc3339(ms: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// RFC 3339 as milliseconds since the epoch.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let at =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).ok()
}

/// Now, in milliseconds since the epoch.
pub fn now_ms() -> i64 {
    i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

impl FromStr for Backend {
    type Err = String;
    fn from_str(s: &str) -> Result<Backend, String> {
        match s {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" => Ok(Backend::Postgres),
            _ => Err(format!("unknown backend `{s}`")),
        }
    }
}
