//! The store: SQLite (embedded, the default) or PostgreSQL through one
//! `sqlx` pool, the same tables created by each backend's migrations
//! ([`schema`]). Every value is bound as a parameter, never spliced into SQL.
//!
//! - `alerts`: deduplicated alerts and their counts;
//! - `tuning`: rule states and exceptions;
//! - `runs`: audit runs with their findings, posture and coverage;
//! - `decisions`: admission decisions forwarded by the webhook;
//! - `flows`: judged flows that showed something, and the clusters heard of.

mod alerts;
mod decisions;
mod flows;
mod runs;
pub mod schema;
mod tuning;

use sqlx::any::{AnyPoolOptions, AnyRow, install_default_drivers};
use sqlx::{AnyPool, Row};

pub use alerts::{NewAlert, StoredAlert, Upserted};
pub use decisions::{NewDecision, StoredDecision};
pub use flows::{NewFlowFinding, StoredFlowFinding};
pub use runs::{FINDING_FILTERS, Run, RunFinding};
pub use tuning::RuleState;

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

/// The store.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

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

/// The filters a list of the store takes: each query parameter with the
/// condition it sets (`?` standing for its value), and the condition
/// `since` sets, when the list has a time. The store owns the SQL; the API
/// names the parameters.
#[derive(Debug, Clone, Copy)]
pub struct Filters {
    /// `(parameter, condition)`.
    pub conditions: &'static [(&'static str, &'static str)],
    /// The condition of `since` (milliseconds), when the list has a time.
    pub since: Option<&'static str>,
}

impl Filters {
    /// The condition set by `parameter`.
    pub fn condition(&self, parameter: &str) -> Option<&'static str> {
        self.conditions
            .iter()
            .find(|(name, _)| *name == parameter)
            .map(|(_, condition)| *condition)
    }
}

/// A row type a list endpoint serves ([`Store::list`]): its table, the
/// columns read, its filters, and its id (the cursor).
pub trait Listed: serde::Serialize + Sized {
    /// The table.
    const TABLE: &'static str;
    /// The columns [`Listed::read`] reads, in order.
    const COLUMNS: &'static str;
    /// The filters of its list.
    const FILTERS: Filters;
    /// One row of `SELECT COLUMNS FROM TABLE`.
    fn read(row: &AnyRow) -> Result<Self, sqlx::Error>;
    /// Its id.
    fn id(&self) -> i64;
}

/// One filtered page of a list: the conditions of [`Filters`] with their
/// values, the time, the cursor and the size.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// `(condition, value)`: each condition of the list's [`Filters`] given.
    pub conditions: Vec<(&'static str, String)>,
    /// `since`'s condition and its time (ms), when given.
    pub since: Option<(&'static str, i64)>,
    /// Only ids above this (the cursor).
    pub after: i64,
    /// At most this many.
    pub limit: i64,
}

/// A value bound to a query.
#[derive(Debug, Clone, Copy)]
enum Bind<'a> {
    Int(i64),
    Text(&'a str),
}

/// A table of totals per cluster and key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Totals {
    /// Alerts by routing (`oncall`, `review`).
    Alerts,
    /// Admission decisions by verdict.
    Decisions,
    /// Flow records by what judging found (`records`, `judged`, `drift`, ...).
    Flows,
}

impl Totals {
    /// `(of one cluster, of all)`.
    fn queries(self) -> (&'static str, &'static str) {
        match self {
            Totals::Alerts => (
                "SELECT routed, n FROM cluster_alert_counts WHERE cluster = $1",
                "SELECT routed, n FROM alert_counts",
            ),
            Totals::Decisions => (
                "SELECT verdict, n FROM decision_counts WHERE cluster = $1",
                "SELECT verdict, CAST(SUM(n) AS BIGINT) FROM decision_counts GROUP BY verdict",
            ),
            Totals::Flows => (
                "SELECT name, n FROM flow_counts WHERE cluster = $1",
                "SELECT name, CAST(SUM(n) AS BIGINT) FROM flow_counts GROUP BY name",
            ),
        }
    }
}

/// The query of one cluster (`one`, its name bound as `$1`) or of all
/// (`all`), with its binds.
fn per_cluster<'a>(
    cluster: Option<&'a str>,
    one: &'static str,
    all: &'static str,
) -> (&'static str, Vec<Bind<'a>>) {
    match cluster {
        Some(c) => (one, vec![Bind::Text(c)]),
        None => (all, Vec::new()),
    }
}

/// The query `sql` with `binds` bound in order.
fn bound<'q>(
    sql: &'q str,
    binds: &[Bind<'q>],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    binds
        .iter()
        .fold(sqlx::query(sql), |query, bind| match *bind {
            Bind::Int(v) => query.bind(v),
            Bind::Text(v) => query.bind(v),
        })
}

/// A `SELECT ... WHERE` built from optional filters: each condition names
/// its parameter `?`, numbered `$n` in order, its value bound in the same
/// order.
#[derive(Debug)]
struct Select<'a> {
    sql: String,
    binds: Vec<Bind<'a>>,
}

impl<'a> Select<'a> {
    /// `SELECT columns FROM table WHERE TRUE`.
    fn from(columns: &str, table: &str) -> Select<'a> {
        Select {
            sql: format!("SELECT {columns} FROM {table} WHERE 1 = 1"),
            binds: Vec::new(),
        }
    }

    /// `AND condition`, `?` standing for `value`.
    fn and(mut self, condition: &str, value: Bind<'a>) -> Select<'a> {
        self.binds.push(value);
        let n = format!("${}", self.binds.len());
        self.sql.push_str(" AND ");
        self.sql.push_str(&condition.replace('?', &n));
        self
    }

    /// Runs it with `filter`'s conditions, after its cursor, ordered by
    /// `id` and at most its `limit` rows.
    async fn page(mut self, store: &Store, filter: &'a Filter) -> Result<Vec<AnyRow>, StoreError> {
        self = self.and("id > ?", Bind::Int(filter.after));
        for (condition, value) in &filter.conditions {
            self = self.and(condition, Bind::Text(value));
        }
        if let Some((condition, since)) = filter.since {
            self = self.and(condition, Bind::Int(since));
        }
        self.binds.push(Bind::Int(filter.limit));
        self.sql
            .push_str(&format!(" ORDER BY id LIMIT ${}", self.binds.len()));
        store.fetch_all(&self.sql, &self.binds).await
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
                        for pragma in [
                            "PRAGMA journal_mode = WAL",
                            "PRAGMA synchronous = NORMAL",
                            "PRAGMA busy_timeout = 5000",
                        ] {
                            sqlx::query(pragma).execute(&mut *conn).await?;
                        }
                    }
                    Ok(())
                })
            });
        let pool = options.connect(&url).await.map_err(|e| fail(&e))?;
        let migrator = sqlx::migrate::Migrator::new(schema::Schema(backend))
            .await
            .map_err(|e| fail(&e))?;
        migrator.run(&pool).await.map_err(|e| fail(&e))?;
        Ok(Store { pool, backend })
    }

    /// The rows of `T` matching `filter`, by id.
    pub async fn list<T: Listed>(&self, filter: &Filter) -> Result<Vec<T>, StoreError> {
        let rows = Select::from(T::COLUMNS, T::TABLE)
            .page(self, filter)
            .await?;
        self.each(&rows, T::read)
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.fetch_all("SELECT 1", &[]).await.map(|_| ())
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

    /// `read` applied to every row, the first failure reported.
    fn each<T>(
        &self,
        rows: &[AnyRow],
        read: impl Fn(&AnyRow) -> Result<T, sqlx::Error>,
    ) -> Result<Vec<T>, StoreError> {
        rows.iter()
            .map(read)
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(|e| self.error(&e))
    }

    /// Every row of `sql` with `binds`, on the pool.
    async fn fetch_all(&self, sql: &str, binds: &[Bind<'_>]) -> Result<Vec<AnyRow>, StoreError> {
        bound(sql, binds)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.error(&e))
    }

    /// `(key, n)` rows of a counts table, summed per key.
    async fn counts(
        &self,
        sql: &str,
        binds: &[Bind<'_>],
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = self.fetch_all(sql, binds).await?;
        self.each(&rows, |row| Ok((row.try_get(0)?, row.try_get(1)?)))
    }

    /// The totals of `table` by key, over every cluster or one.
    pub async fn totals(
        &self,
        table: Totals,
        cluster: Option<&str>,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let (one, all) = table.queries();
        let (sql, binds) = per_cluster(cluster, one, all);
        self.counts(sql, &binds).await
    }

    /// Records, within `tx`, that `cluster` has been heard of (the pages'
    /// cluster picker, [`Store::clusters`]).
    async fn note_cluster(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        cluster: &str,
    ) -> Result<(), StoreError> {
        self.execute(
            tx,
            "INSERT INTO clusters (name) VALUES ($1) ON CONFLICT (name) DO NOTHING",
            &[Bind::Text(cluster)],
        )
        .await
    }

    /// Runs `sql` with `binds` within `tx`.
    async fn execute(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        sql: &str,
        binds: &[Bind<'_>],
    ) -> Result<(), StoreError> {
        bound(sql, binds)
            .execute(&mut **tx)
            .await
            .map_err(|e| self.error(&e))?;
        Ok(())
    }
}

impl Store {
    /// Deletes alerts last seen, runs made and decisions answered before
    /// `before` (ms): retention by age. Returns how many alerts went.
    pub async fn expire(&self, before: i64) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await.map_err(|e| self.error(&e))?;
        let gone = sqlx::query("DELETE FROM alerts WHERE last_seen < $1")
            .bind(before)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.error(&e))?
            .rows_affected();
        // Recount what is left (rare: retention runs hourly).
        for sql in [
            "DELETE FROM alert_counts",
            "INSERT INTO alert_counts (routed, n) SELECT routed, COUNT(*) FROM alerts GROUP BY routed",
            "DELETE FROM findings WHERE run_id IN (SELECT id FROM runs WHERE at < $1)",
            "DELETE FROM runs WHERE at < $1",
            "DELETE FROM decision_policies WHERE decision_id IN (SELECT id FROM admission_decisions WHERE at < $1)",
            "DELETE FROM admission_decisions WHERE at < $1",
            "DELETE FROM flow_findings WHERE last_seen < $1",
            "DELETE FROM cluster_alert_counts",
            "INSERT INTO cluster_alert_counts (cluster, routed, n) SELECT cluster, routed, COUNT(*) FROM alerts GROUP BY cluster, routed",
            "DELETE FROM decision_counts",
            "INSERT INTO decision_counts (cluster, verdict, n) SELECT cluster, verdict, COUNT(*) FROM admission_decisions GROUP BY cluster, verdict",
        ] {
            let query = sqlx::query(sql);
            let query = if sql.contains("$1") {
                query.bind(before)
            } else {
                query
            };
            query.execute(&mut *tx).await.map_err(|e| self.error(&e))?;
        }
        tx.commit().await.map_err(|e| self.error(&e))?;
        Ok(gone)
    }
}

/// Column `index` of `row`, JSON text stored by the console, parsed (`null`
/// if it does not parse).
fn json_column(row: &AnyRow, index: usize) -> Result<serde_json::Value, sqlx::Error> {
    let text: String = row.try_get(index)?;
    Ok(serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
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
