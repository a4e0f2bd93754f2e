//! The latest audit run, as every page reads it from the store.

use axum::response::Response;
use serde_json::Value;

use super::layout::Page;
use crate::app::App;
use crate::store::{FINDING_FILTERS, Filter};

/// The latest audit run of the console's cluster.
#[derive(Debug)]
pub struct LatestRun {
    /// Its id (findings belong to it).
    pub id: i64,
    /// When it ran (ms since the epoch).
    pub at: i64,
    /// The posture score.
    pub score: i64,
    /// The posture (as `GET /api/v1/posture`).
    pub posture: Value,
    /// The coverage items (as `GET /api/v1/coverage` lists them).
    pub coverage: Value,
}

/// The latest run, or `page` saying why there is none.
pub async fn latest(app: &App, page: Page) -> Result<LatestRun, Response> {
    match app.store.latest_run(&app.config.cluster).await {
        Ok(Some((id, at, score, posture, coverage))) => Ok(LatestRun {
            id,
            at,
            score,
            posture: serde_json::from_str(&posture).unwrap_or(Value::Null),
            coverage: serde_json::from_str(&coverage).unwrap_or(Value::Null),
        }),
        Ok(None) => Err(page.fail("no audit has run yet")),
        Err(e) => Err(page.fail(e)),
    }
}

/// A filter of the latest run's findings: `equal` lists `(parameter,
/// value)` of [`FINDING_FILTERS`] (`layer`, `severity`, `namespace`,
/// `policy`); a page of `limit` after id `after`.
pub fn findings_filter(equal: &[(&str, String)], after: i64, limit: i64) -> Filter {
    Filter {
        conditions: equal
            .iter()
            .filter_map(|(name, value)| Some((FINDING_FILTERS.condition(name)?, value.clone())))
            .collect(),
        since: None,
        after,
        limit,
    }
}
