//! What every page handler takes: the shared state, the query parameters
//! and the session's CSRF token (set by [`super::session::guard`]).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use super::session::Csrf;
use crate::app::App;

/// A page request.
#[derive(Debug)]
pub struct PageRequest {
    /// The shared state.
    pub app: Arc<App>,
    /// The query parameters.
    pub query: HashMap<String, String>,
    /// The session's CSRF token (empty without a token).
    pub csrf: String,
}

impl FromRequestParts<Arc<App>> for PageRequest {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Response> {
        let Query(query) = Query::<HashMap<String, String>>::from_request_parts(parts, app)
            .await
            .map_err(IntoResponse::into_response)?;
        let csrf = parts
            .extensions
            .get::<Csrf>()
            .map(|c| c.0.clone())
            .unwrap_or_default();
        Ok(PageRequest {
            app: Arc::clone(app),
            query,
            csrf,
        })
    }
}
