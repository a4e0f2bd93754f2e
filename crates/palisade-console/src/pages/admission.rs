//! `/admission`: the audit's admission violations (which running workloads
//! violate which policy now), filtered by namespace, policy and severity
//! with a plain form (it works without the script), paged by 100.

use std::collections::BTreeSet;

use axum::response::Response;
use maud::{Markup, html};
use serde_json::Value;

use super::audit::{findings_filter, latest};
use super::format::{SEVERITIES, text, urgency, visible};
use super::layout::{Nav, Page, field, table_section};
use super::request::PageRequest;

const PAGE: Page = Page {
    title: "Admission",
    nav: Nav::Admission,
};

/// Findings per page.
const ROWS: i64 = 100;

/// The filters, as the form names them.
const FILTERS: [(&str, &str); 3] = [
    ("namespace", "Namespace"),
    ("policy", "Policy"),
    ("severity", "Severity"),
];

/// `GET /admission?namespace=&policy=&severity=&after=`.
pub async fn page(request: PageRequest) -> Result<Response, Response> {
    let PageRequest { app, query, csrf } = request;
    let chosen = |name: &str| query.get(name).filter(|v| !v.is_empty()).cloned();
    let run = latest(&app, PAGE).await?.id;
    let facets = app.store.finding_facets(run, "admission").await;
    let facets = facets.map_err(|e| PAGE.fail(e))?;
    let mut equal = vec![("layer", "admission".to_owned())];
    equal.extend(
        FILTERS
            .iter()
            .filter_map(|(name, _)| chosen(name).map(|v| (*name, v))),
    );
    let after = query.get("after").and_then(|a| a.parse().ok()).unwrap_or(0);
    let filter = findings_filter(&equal, after, ROWS + 1);
    let mut rows = app
        .store
        .findings(run, &filter)
        .await
        .map_err(|e| PAGE.fail(e))?;
    let more = rows.len() as i64 > ROWS;
    rows.truncate(usize::try_from(ROWS).unwrap_or(0));
    let next = more.then(|| rows.last().map(|(id, _)| *id)).flatten();
    let findings: Vec<Value> = rows
        .iter()
        .map(|(_, body)| serde_json::from_str(body).unwrap_or(Value::Null))
        .collect();
    let next = next.map(|next| {
        let mut params: Vec<(&str, String)> = FILTERS
            .iter()
            .filter_map(|(name, _)| chosen(name).map(|v| (*name, v)))
            .collect();
        params.push(("after", next.to_string()));
        format!(
            "/admission?{}",
            serde_urlencoded::to_string(&params).unwrap_or_default()
        )
    });
    let body = html! {
        (filter_form(&facets, &chosen))
        (findings_table(&findings))
        @if let Some(next) = next {
            p { a rel="next" href=(next) { "More findings" } }
        }
    };
    Ok(PAGE.render(&csrf, body))
}

fn filter_form(
    facets: &[(String, String, String)],
    chosen: &dyn Fn(&str) -> Option<String>,
) -> Markup {
    let mut sets: [BTreeSet<&str>; 3] = Default::default();
    for (namespace, policy, severity) in facets {
        for (set, value) in sets.iter_mut().zip([namespace, policy, severity]) {
            set.insert(value.as_str());
        }
    }
    let mut choices: Vec<Vec<&str>> = sets.iter().map(|s| s.iter().copied().collect()).collect();
    // Severities in their order, not the alphabet's.
    if let Some(severities) = choices.get_mut(2) {
        severities.sort_by_key(|s| SEVERITIES.iter().position(|x| x == s).unwrap_or(usize::MAX));
    }
    html! {
        form.filters method="get" action="/admission" aria-label="Filter the violations" {
            @for ((name, label), values) in FILTERS.iter().zip(&choices) {
                @let current = chosen(name).unwrap_or_default();
                (field(&format!("f-{name}"), label, html! {
                    select #{ "f-" (name) } name=(name) {
                        option value="" selected[current.is_empty()] { "all" }
                        @for value in values {
                            option value=(value) selected[*value == current] {
                                @if value.is_empty() { "(cluster-wide)" } @else { (visible(value)) }
                            }
                        }
                    }
                }))
            }
            button type="submit" { "Filter" }
            " "
            a href="/admission" { "Clear the filters" }
        }
    }
}

/// `Kind namespace/name` of a finding's subject.
fn object(finding: &Value) -> String {
    let subject = &finding["subject"];
    let name = match subject.get("namespace").and_then(Value::as_str) {
        Some(ns) => format!("{ns}/{}", text(&subject["name"])),
        None => text(&subject["name"]),
    };
    format!("{} {name}", text(&subject["kind"]))
}

/// `file:line:column` of a finding's location.
fn place(finding: &Value) -> String {
    let at = &finding["location"];
    if at.is_null() {
        return String::new();
    }
    format!(
        "{}:{}:{}",
        text(&at["file"]),
        text(&at["line"]),
        text(&at["column"])
    )
}

fn findings_table(findings: &[Value]) -> Markup {
    let rows = (!findings.is_empty()).then(|| {
        html! {
            @for finding in findings {
                @let severity = text(&finding["severity"]);
                tr data-namespace=(text(finding.pointer("/subject/namespace").unwrap_or(&Value::Null))) {
                    th scope="row" { (visible(&object(finding))) }
                    td { (visible(&text(&finding["policy"]))) }
                    td class=(urgency(&severity)) { (severity) }
                    td { (visible(&text(&finding["message"]))) }
                    td { code { (visible(&place(finding))) } }
                }
            }
        }
    });
    table_section(
        "violations",
        "Violations",
        "Running workloads that violate admission policies now (latest audit)",
        &["Object", "Policy", "Severity", "Message", "Defined at"],
        rows,
        "No workload violates an admission policy, with these filters.",
    )
}
