//! The frame every page shares: head, skip link, navigation, main region,
//! a live region for the script's announcements, and the response headers
//! that keep hostile data inert (CSP, nosniff, no framing).

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

/// The pages in the navigation, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    /// `/`
    Overview,
    /// `/admission`
    Admission,
    /// `/runtime`
    Runtime,
    /// `/network`
    Network,
    /// `/policies`
    Policies,
    /// `/score`
    Score,
}

impl Nav {
    const ALL: [Nav; 6] = [
        Nav::Overview,
        Nav::Admission,
        Nav::Runtime,
        Nav::Network,
        Nav::Policies,
        Nav::Score,
    ];

    fn path(self) -> &'static str {
        match self {
            Nav::Overview => "/",
            Nav::Admission => "/admission",
            Nav::Runtime => "/runtime",
            Nav::Network => "/network",
            Nav::Policies => "/policies",
            Nav::Score => "/score",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Nav::Overview => "Overview",
            Nav::Admission => "Admission",
            Nav::Runtime => "Runtime",
            Nav::Network => "Network",
            Nav::Policies => "Policies",
            Nav::Score => "Score calculator",
        }
    }
}

/// No script but our own file, no inline script or style, no framing, no
/// form posts elsewhere: a string that slips through as markup still runs
/// nothing.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A whole page: `title` as the document title and the `h1`, `body` inside `main`.
/// `active` is the page's place in the navigation (`None`: the login form);
/// `csrf` the session's CSRF token (empty without a token; the log-out
/// button shows only with a session).
pub fn frame(title: &str, active: Option<Nav>, csrf: &str, body: Markup) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="csrf-token" content=(csrf);
                title { (title) " · Palisade console" }
                link rel="stylesheet" href="/assets/console.css";
                script src="/assets/console.js" defer {}
            }
            body {
                a.skip href="#main" { "Skip to the content" }
                header.top {
                    span.brand { "Palisade console" }
                    nav aria-label="Pages" {
                        ul {
                            @for nav in Nav::ALL {
                                li {
                                    @if Some(nav) == active {
                                        a href=(nav.path()) aria-current="page" { (nav.label()) }
                                    } @else {
                                        a href=(nav.path()) { (nav.label()) }
                                    }
                                }
                            }
                        }
                    }
                    @if !csrf.is_empty() {
                        button #logout type="button" { "Log out" }
                    }
                }
                main #main tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
                div #announce role="status" aria-live="polite" {}
            }
        }
    };
    html_response(StatusCode::OK, markup)
}

/// A section headed `heading` with the table `id` (its caption, column
/// headers and `rows`), or the sentence `empty` when `rows` is `None`.
pub fn table_section(
    id: &str,
    heading: &str,
    caption: &str,
    columns: &[&str],
    rows: Option<Markup>,
    empty: &str,
) -> Markup {
    let heading_id = format!("{id}-h");
    html! {
        section aria-labelledby=(heading_id) {
            h2 #(heading_id) { (heading) }
            @match rows {
                Some(rows) => {
                    table #(id) {
                        caption { (caption) }
                        (head(columns))
                        tbody { (rows) }
                    }
                }
                None => { p { (empty) } }
            }
        }
    }
}

/// A form control `control` (whose id is `id`) with its label, as one
/// field of a row of filters.
pub fn field(id: &str, label: &str, control: Markup) -> Markup {
    html! { div.filter { label for=(id) { (label) } (control) } }
}

/// A table's head row: one column header per name.
pub fn head(columns: &[&str]) -> Markup {
    html! {
        thead { tr { @for column in columns { th scope="col" { (column) } } } }
    }
}

/// An HTML answer with the pages' security headers.
pub fn html_response(status: StatusCode, markup: Markup) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        markup.into_string(),
    )
        .into_response()
}

/// One page: its title and place in the navigation.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    /// The document title and `h1`.
    pub title: &'static str,
    /// Where it is in the navigation.
    pub nav: Nav,
}

impl Page {
    /// The page with `body`.
    pub fn render(self, csrf: &str, body: Markup) -> Response {
        frame(self.title, Some(self.nav), csrf, body)
    }

    /// The page saying why it cannot be shown now (503).
    pub fn fail(self, reason: impl std::fmt::Display) -> Response {
        unavailable(self.title, self.nav, &reason.to_string())
    }
}

/// A page that could not be made (the store failed, no audit yet).
pub fn unavailable(title: &str, active: Nav, reason: &str) -> Response {
    let mut response = frame(
        title,
        Some(active),
        "",
        html! {
            p.problem role="alert" { "This page cannot be shown now: " (reason) }
        },
    );
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    response
}
