//! The web pages: server-rendered HTML (maud templates, compiled into the
//! binary, every interpolated string escaped) with one small script and one
//! stylesheet, both embedded ([`assets`]). Nothing is loaded from the
//! internet: the console works in an air-gapped cluster.
//!
//! The pages read the store and the loaded policies directly; every button
//! calls the JSON API under `/api/v1` (the same calls a script would make).
//! Strings from the cluster or the event stream are hostile: the templates
//! escape them, the script only ever sets `textContent`, and every page is
//! served with a Content-Security-Policy that allows no inline script.

mod admission;
mod assets;
mod audit;
mod fixes;
mod format;
mod layout;
mod network;
mod overview;
mod policies;
mod request;
mod runtime;
mod score;
pub mod session;
mod stream;

use std::sync::Arc;

use axum::Router;
use axum::middleware;
use axum::routing::{get, post};

use crate::app::App;

/// The pages' routes: `/`, `/admission`, `/runtime`, `/network`, `/policies`, `/score`, the live stream and log-out behind
/// the session guard ([`session::guard`]); `/login` and `/assets/*` open.
pub fn router(app: Arc<App>) -> Router<Arc<App>> {
    let guarded = Router::new()
        .route("/", get(overview::page))
        .route("/admission", get(admission::page))
        .route("/admission/object", get(admission::object_page))
        .route("/runtime", get(runtime::page))
        .route("/runtime/stream", get(stream::alerts))
        .route("/network", get(network::page))
        .route("/policies", get(policies::page))
        .route("/score", get(score::page))
        .route("/logout", post(session::logout))
        .route_layer(middleware::from_fn_with_state(app, session::guard));
    Router::new()
        .merge(guarded)
        .route("/login", get(session::form).post(session::login))
        .route("/assets/{name}", get(assets::serve))
}
