//! The session of the web pages when the console has a token
//! (`--token-file`): a login form asks for the token once and the console
//! sets a session cookie (`HttpOnly; Secure; SameSite=Strict`); every
//! state-changing request that rides on the cookie carries the page's CSRF
//! token in `X-CSRF-Token`.
//!
//! Both are stateless, so every replica over one store accepts them: the
//! cookie is `EXPIRY.MAC` with `MAC = HMAC-SHA256(token, "session" EXPIRY)`
//! and the CSRF token is `HMAC-SHA256(token, "csrf" COOKIE)`. Changing the
//! token ends every session.

use std::sync::Arc;

use axum::extract::{Form, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use ring::hmac;

use super::layout::{frame, html_response};
use crate::app::App;

/// The cookie's name.
const COOKIE: &str = "palisade_session";

/// How long a session lasts, in seconds.
const LIFETIME: u64 = 12 * 3600;

/// The header that carries the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The CSRF token of the request's session (empty without a token): the
/// pages put it in `<meta name="csrf-token">` for the script.
#[derive(Debug, Clone, Default)]
pub struct Csrf(pub String);

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn mac(token: &str, purpose: &str, message: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, token.as_bytes());
    let tag = hmac::sign(&key, format!("{purpose}\0{message}").as_bytes());
    tag.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Equal, comparing every byte whatever the first difference.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A new session cookie's value.
fn new_session(token: &str) -> String {
    let expiry = now() + LIFETIME;
    format!("{expiry}.{}", mac(token, "session", &expiry.to_string()))
}

/// The request's session cookie, when it is one this token made and it has
/// not expired.
fn session<'a>(token: &str, headers: &'a HeaderMap) -> Option<&'a str> {
    let value = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)?
        .1;
    let (expiry, given) = value.split_once('.')?;
    let alive = expiry.parse::<u64>().ok()? > now();
    (alive && same(given, &mac(token, "session", expiry))).then_some(value)
}

/// The CSRF token of a session cookie.
fn csrf_of(token: &str, session: &str) -> String {
    mac(token, "csrf", session)
}

/// Whether the API may serve this request on the strength of its session
/// cookie: a valid cookie, and for anything but GET/HEAD the CSRF token.
pub fn admits(token: &str, request: &Request) -> bool {
    let Some(session) = session(token, request.headers()) else {
        return false;
    };
    if matches!(*request.method(), Method::GET | Method::HEAD) {
        return true;
    }
    request
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|given| same(given, &csrf_of(token, session)))
}

/// The pages' guard: without a token every page is open; with one, a page
/// without a valid session sends the browser to the login form (the live
/// stream answers 401), and a state-changing request needs the CSRF token.
pub async fn guard(State(app): State<Arc<App>>, mut request: Request, next: Next) -> Response {
    let csrf = match &app.config.token {
        None => Csrf::default(),
        Some(token) => match session(token, request.headers()) {
            Some(session) if admits(token, &request) => Csrf(csrf_of(token, session)),
            Some(_) => {
                app.metrics.refuse("unauthorized");
                return (
                    StatusCode::FORBIDDEN,
                    "the CSRF token is missing or wrong\n",
                )
                    .into_response();
            }
            None if request.method() == Method::GET
                && request.uri().path() != "/runtime/stream" =>
            {
                let next = request
                    .uri()
                    .path_and_query()
                    .map_or("/", |p| p.as_str())
                    .to_owned();
                let query = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
                return Redirect::to(&format!("/login?{query}")).into_response();
            }
            None => {
                app.metrics.refuse("unauthorized");
                return (StatusCode::UNAUTHORIZED, "log in first: /login\n").into_response();
            }
        },
    };
    request.extensions_mut().insert(csrf);
    next.run(request).await
}

/// Where to go after logging in: a path of this console, never elsewhere.
fn local(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n,
        _ => "/",
    }
}

/// The login form's fields.
#[derive(Debug, serde::Deserialize)]
pub struct Login {
    token: String,
    next: Option<String>,
}

/// `?next=` of `GET /login`.
#[derive(Debug, serde::Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

fn login_form(next: &str, problem: Option<&str>) -> maud::Markup {
    html! {
        @if let Some(problem) = problem {
            p.problem role="alert" #login-problem { (problem) }
        }
        form.login method="post" action="/login" {
            input type="hidden" name="next" value=(next);
            label for="token" { "Console token" }
            input #token type="password" name="token" autocomplete="current-password" required autofocus;
            button type="submit" { "Log in" }
        }
        p.meta { "The token is the one in the console's " code { "--token-file" } "." }
    }
}

/// `GET /login`.
pub async fn form(State(app): State<Arc<App>>, Query(query): Query<NextQuery>) -> Response {
    if app.config.token.is_none() {
        return Redirect::to("/").into_response();
    }
    frame(
        "Log in",
        None,
        "",
        login_form(local(query.next.as_deref()), None),
    )
}

/// `POST /login`: the token, checked; a session cookie on success.
pub async fn login(State(app): State<Arc<App>>, Form(login): Form<Login>) -> Response {
    let Some(token) = &app.config.token else {
        return Redirect::to("/").into_response();
    };
    let next = local(login.next.as_deref()).to_owned();
    if !same(&login.token, token) {
        app.metrics.refuse("unauthorized");
        let mut page = frame(
            "Log in",
            None,
            "",
            login_form(&next, Some("That is not the console's token.")),
        );
        *page.status_mut() = StatusCode::UNAUTHORIZED;
        return page;
    }
    let cookie = format!(
        "{COOKIE}={}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age={LIFETIME}",
        new_session(token)
    );
    let mut response = Redirect::to(&next).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// `POST /logout` (behind the guard: needs the CSRF token): clears the cookie.
pub async fn logout() -> Response {
    let mut response = html_response(
        StatusCode::OK,
        html! { p { "Logged out. " a href="/login" { "Log in again" } } },
    );
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "palisade_session=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0",
        ),
    );
    response
}
