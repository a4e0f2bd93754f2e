//! `/runtime`: the rule tags with their on/off switches, the runtime rules
//! with their switches (enabled, alert-only)
//! and the deduplicated alerts, escalated (on-call) apart from the review
//! list, newest first, paged; each alert offers an exception pre-filled
//! from its fields. The live stream ([`super::stream`]) keeps the lists
//! current without a reload.

use axum::response::Response;
use maud::{Markup, html};

use super::format::{text, urgency, visible};
use super::layout::{Nav, Page, table_section};
use super::request::PageRequest;
use crate::app::App;
use crate::ingest::{Mode, falco_priority};
use crate::store::StoredAlert;

const PAGE: Page = Page {
    title: "Runtime",
    nav: Nav::Runtime,
};

/// Alerts per list and page.
pub const ROWS: i64 = 50;

/// The two lists: escalated alerts and the review list.
pub const LISTS: [(&str, &str); 2] = [
    ("oncall", "Escalated to on-call (ERROR and above)"),
    (
        "review",
        "For review (WARNING and below, and rules in alert-only mode)",
    ),
];

/// A page key `LASTSEEN.ID` (milliseconds, id) from `?oncall_before=` or
/// `?review_before=`; anything else starts at the newest.
fn key(text: Option<&String>) -> Option<(i64, i64)> {
    let (at, id) = text?.split_once('.')?;
    Some((at.parse().ok()?, id.parse().ok()?))
}

/// `GET /runtime?oncall_before=&review_before=`.
pub async fn page(request: PageRequest) -> Result<Response, Response> {
    let PageRequest { app, query, csrf } = request;
    let mut lists = Vec::new();
    for (routed, title) in LISTS {
        let param = format!("{routed}_before");
        let before = key(query.get(&param));
        let rows = app.store.recent_alerts(routed, before, ROWS + 1).await;
        let mut rows = rows.map_err(|e| PAGE.fail(e))?;
        let more = rows.len() as i64 > ROWS;
        rows.truncate(usize::try_from(ROWS).unwrap_or(0));
        let next = if more {
            rows.last().map(|(at, a)| format!("{at}.{}", a.id))
        } else {
            None
        };
        lists.push(alert_list(routed, title, &rows, next.as_deref(), &param));
    }
    let body = html! {
        (tags_table(&app))
        (rules_table(&app))
        @for list in &lists { (list) }
    };
    Ok(PAGE.render(&csrf, body))
}

/// Every tag of the loaded rules with its on/off switch: a tag switched
/// off stops the alerts of every rule that carries it.
fn tags_table(app: &App) -> Markup {
    let loaded = app.loaded();
    let tuning = app.tuning();
    let tags = crate::ingest::tags(&loaded.palisade);
    let rows = (!tags.is_empty()).then(|| {
        html! {
            @for (tag, rules) in &tags {
                @let on = !tuning.disabled_tags.contains(tag);
                tr data-tag=(tag) {
                    th scope="row" { (visible(tag)) }
                    td { (rules) }
                    td {
                        span.state { @if on { "on" } @else { "off" } }
                        " "
                        button type="button" data-action="tag" data-tag=(tag) data-value=(if on { "false" } else { "true" })
                            aria-label={ (if on { "Switch off the tag " } else { "Switch on the tag " }) (visible(tag)) } {
                            @if on { "Switch off" } @else { "Switch on" }
                        }
                    }
                }
            }
        }
    });
    table_section(
        "tags",
        "Tags",
        "Switch a tag off to stop the alerts of every rule that carries it (as Falco's -T)",
        &["Tag", "Rules", "State"],
        rows,
        "No loaded rule has tags.",
    )
}

fn rules_table(app: &App) -> Markup {
    let loaded = app.loaded();
    let tuning = app.tuning();
    let rules = loaded.palisade.rules().map(|r| r.rules()).unwrap_or(&[]);
    let rows = (!rules.is_empty()).then(|| {
        html! {
            @for rule in rules {
                @let enabled = !tuning.disabled.get(&rule.name).copied().unwrap_or(false);
                @let mode = tuning.modes.get(&rule.name).copied().unwrap_or(Mode::Alert);
                @let priority = falco_priority(rule.priority);
                tr data-rule=(rule.name) {
                    th scope="row" { (visible(&rule.name)) }
                    td class=(urgency(&priority)) { (priority) }
                    td { (rule.tags.join(", ")) }
                    td.exceptions { (tuning.exceptions.get(&rule.name).map_or(0, Vec::len)) }
                    td {
                        span.state { @if enabled { "enabled" } @else { "disabled" } }
                        " "
                        button type="button" data-action="enabled" data-rule=(rule.name) data-value=(if enabled { "false" } else { "true" })
                            aria-label={ (if enabled { "Disable " } else { "Enable " }) (visible(&rule.name)) } {
                            @if enabled { "Disable" } @else { "Enable" }
                        }
                    }
                    td {
                        span.mode { @if mode == Mode::Observe { "alert-only" } @else { "alert" } }
                        " "
                        button type="button" data-action="mode" data-rule=(rule.name) data-value=(if mode == Mode::Observe { "alert" } else { "observe" })
                            aria-label={ (if mode == Mode::Observe { "Escalate again: " } else { "Alert-only: " }) (visible(&rule.name)) } {
                            @if mode == Mode::Observe { "Escalate again" } @else { "Alert-only" }
                        }
                    }
                }
            }
        }
    });
    table_section(
        "rules",
        "Rules",
        "Switch a rule off, or keep it in alert-only mode (stored for review, never sent to on-call)",
        &["Rule", "Priority", "Tags", "Exceptions", "State", "Mode"],
        rows,
        "No runtime rules are loaded.",
    )
}

fn alert_list(
    routed: &str,
    title: &str,
    rows: &[(i64, StoredAlert)],
    next: Option<&str>,
    param: &str,
) -> Markup {
    let columns = [
        "Rule",
        "Priority",
        "Count",
        "First seen",
        "Last seen",
        "Cluster",
        "Output",
        "Exception",
    ];
    let body = html! { @for (at, alert) in rows { (alert_row(*at, alert)) } };
    html! {
        (table_section(routed, title, "Newest first", &columns, Some(body), ""))
        @if rows.is_empty() {
            p.empty data-for=(routed) { "No alerts." }
        }
        @if let Some(next) = next {
            p { a rel="next" href={ "/runtime?" (param) "=" (next) } { "Older alerts: " (title) } }
        }
    }
}

/// One alert's row (also what the live stream sends).
pub fn alert_row(last_seen_ms: i64, alert: &StoredAlert) -> Markup {
    html! {
        tr data-alert=(alert.id) data-last-seen=(last_seen_ms) data-rule=(alert.rule) {
            th scope="row" { (visible(&alert.rule)) }
            td class=(urgency(&alert.priority)) { (alert.priority) }
            td.count { (alert.count) }
            td { time datetime=(alert.first_seen) { (alert.first_seen) } }
            td.last-seen { time datetime=(alert.last_seen) { (alert.last_seen) } }
            td { (visible(&alert.cluster)) }
            td { code.output { (visible(&alert.output)) } }
            td { (exception_form(alert)) }
        }
    }
}

/// The fields an exception may name, pre-filled from the alert: every
/// scalar field, checked when it is a string outside `evt.*` (what makes
/// an identical event identical).
fn exception_form(alert: &StoredAlert) -> Markup {
    let fields: Vec<(&String, String, bool)> = alert
        .fields
        .as_object()
        .map(|o| {
            o.iter()
                .filter(|(_, v)| !v.is_object() && !v.is_array() && !v.is_null())
                .map(|(k, v)| (k, text(v), v.is_string() && !k.starts_with("evt.")))
                .collect()
        })
        .unwrap_or_default();
    html! {
        details.exception {
            summary { "Add an exception" }
            @if fields.is_empty() {
                p { "This alert carries no fields to match." }
            } @else {
                form.exception data-rule=(alert.rule) {
                    fieldset {
                        legend { "Suppress this rule's alerts whose fields equal" }
                        @for (i, (name, value, checked)) in fields.iter().enumerate() {
                            @let id = format!("x{}-{i}", alert.id);
                            div.field {
                                input type="checkbox" id=(id) name="field" value=(name) checked[*checked];
                                label for=(id) { code { (visible(name)) } }
                                input type="text" name="value" data-field=(name) value=(value)
                                    aria-label={ "Value of " (visible(name)) };
                            }
                        }
                    }
                    button type="submit" { "Add the exception" }
                }
            }
        }
    }
}
