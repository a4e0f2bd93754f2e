//! `/admission`: the audit's admission violations (which running workloads
//! violate which policy now), filtered by namespace, policy and severity
//! with a plain form (it works without the script), sorted by a column
//! header (object, policy, severity), paged by 100. Each row links to its
//! object (its manifest and fix, [`super::fixes`]) and its policy, and
//! shows the fix the remediation pack makes when there is one.

use std::collections::BTreeSet;

use axum::response::Response;
use maud::{Markup, html};
use serde_json::Value;

use super::audit::{findings_filter, latest};
use super::fixes::{Fixes, ObjectKey};
use super::format::{SEVERITIES, policy_anchor, text, urgency, visible};
use super::layout::{Nav, Page, field};
use super::request::PageRequest;
use palisade::admission::mutate::to_yaml_string;

const PAGE: Page = Page {
    title: "Admission",
    nav: Nav::Admission,
};

/// Findings per page.
const ROWS: usize = 100;

/// Findings read, sorted and paged at most (the latest audit's, filtered).
const SORTED: i64 = 10_000;

/// The filters, as the form names them.
const FILTERS: [(&str, &str); 3] = [
    ("namespace", "Namespace"),
    ("policy", "Policy"),
    ("severity", "Severity"),
];

/// `GET /admission?namespace=&policy=&severity=&sort=&order=&offset=`.
pub async fn page(request: PageRequest) -> Result<Response, Response> {
    let PageRequest { app, query, csrf } = request;
    let chosen = |name: &str| query.get(name).filter(|v| !v.is_empty()).cloned();
    let run = latest(&app, PAGE).await?.id;
    let facets = app.store.finding_facets(run, "admission").await;
    let facets = facets.map_err(|e| PAGE.fail(e))?;
    let filters: Vec<(&str, String)> = FILTERS
        .iter()
        .filter_map(|(name, _)| chosen(name).map(|v| (*name, v)))
        .collect();
    let mut equal = vec![("layer", "admission".to_owned())];
    equal.extend(filters.iter().cloned());
    let rows = app
        .store
        .findings(run, &findings_filter(&equal, 0, SORTED + 1))
        .await
        .map_err(|e| PAGE.fail(e))?;
    let capped = rows.len() as i64 > SORTED;
    let mut findings: Vec<Value> = rows
        .iter()
        .take(usize::try_from(SORTED).unwrap_or(0))
        .map(|(_, body)| serde_json::from_str(body).unwrap_or(Value::Null))
        .collect();
    let order = Order::of(&query);
    order.apply(&mut findings);
    let offset = query
        .get("offset")
        .and_then(|o| o.parse::<usize>().ok())
        .unwrap_or(0);
    let shown: Vec<Value> = findings.iter().skip(offset).take(ROWS).cloned().collect();
    let next = (offset + ROWS < findings.len()).then(|| {
        let mut params = filters.clone();
        params.extend(order.params());
        params.push(("offset", (offset + ROWS).to_string()));
        format!(
            "/admission?{}",
            serde_urlencoded::to_string(&params).unwrap_or_default()
        )
    });
    let loaded = app.loaded();
    let fixes = Fixes::new(&loaded.palisade);
    let body = html! {
        (filter_form(&facets, &chosen, &order))
        @if capped {
            p.problem { "More than " (SORTED) " violations match: sorting covers the first " (SORTED) "; narrow the filters." }
        }
        (findings_table(&shown, &order, &filters, &fixes))
        @if let Some(next) = next {
            p { a rel="next" href=(next) { "More findings" } }
        }
    };
    Ok(PAGE.render(&csrf, body))
}

fn filter_form(
    facets: &[(String, String, String)],
    chosen: &dyn Fn(&str) -> Option<String>,
    order: &Order,
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
            @for (name, value) in order.params() {
                input type="hidden" name=(name) value=(value);
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

fn findings_table(
    findings: &[Value],
    order: &Order,
    filters: &[(&str, String)],
    fixes: &Fixes<'_>,
) -> Markup {
    let head = html! {
        thead { tr {
            @for (key, label) in SORTS {
                @let (href, sort) = order.link(key, filters);
                th scope="col" aria-sort=(sort) {
                    a.sort href=(href) data-sort=(key) { (label) }
                }
            }
            th scope="col" { "Message" }
            th scope="col" { "Defined at" }
            th scope="col" { "Fix" }
        } }
    };
    let rows = html! {
        @for finding in findings {
            @let severity = text(&finding["severity"]);
            @let subject = ObjectKey::of(finding);
            @let policy = text(&finding["policy"]);
            tr data-namespace=(subject.namespace) data-policy=(policy) data-severity=(severity) {
                th scope="row" {
                    a.object href=(subject.href("")) { (visible(&object(finding))) }
                }
                td { a.policy href={ "/policies#" (policy_anchor(&policy)) } { (visible(&policy)) } }
                td class=(urgency(&severity)) { (severity) }
                td { (visible(&text(&finding["message"]))) }
                td { code { (visible(&place(finding))) } }
                td { (fixes.cell(&subject)) }
            }
        }
    };
    html! {
        section aria-labelledby="violations-h" {
            h2 #violations-h { "Violations" }
            @if findings.is_empty() {
                p { "No workload violates an admission policy, with these filters." }
            } @else {
                table #violations {
                    caption { "Running workloads that violate admission policies now (latest audit); the column headers sort" }
                    (head)
                    tbody { (rows) }
                }
            }
        }
    }
}

/// The sortable columns: `(key, header)`.
const SORTS: [(&str, &str); 3] = [
    ("object", "Object"),
    ("policy", "Policy"),
    ("severity", "Severity"),
];

/// The table's order: a column and a direction (the audit's order when
/// none is chosen).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Order {
    key: Option<&'static str>,
    descending: bool,
}

impl Order {
    /// `?sort=object|policy|severity&order=asc|desc`; anything else: none.
    fn of(query: &std::collections::HashMap<String, String>) -> Order {
        let key = query
            .get("sort")
            .and_then(|s| SORTS.iter().find(|(k, _)| k == s))
            .map(|(k, _)| *k);
        Order {
            key,
            descending: key.is_some() && query.get("order").is_some_and(|o| o == "desc"),
        }
    }

    /// Its query parameters.
    fn params(&self) -> Vec<(&'static str, String)> {
        match self.key {
            Some(key) => vec![
                ("sort", key.to_owned()),
                (
                    "order",
                    if self.descending { "desc" } else { "asc" }.to_owned(),
                ),
            ],
            None => Vec::new(),
        }
    }

    /// Sorts `findings` (stable: ties keep the audit's order). Severity
    /// sorts by urgency, most urgent first when ascending.
    fn apply(&self, findings: &mut [Value]) {
        let Some(key) = self.key else { return };
        let rank = |f: &Value| {
            let s = text(&f["severity"]);
            SEVERITIES
                .iter()
                .position(|x| *x == s)
                .unwrap_or(usize::MAX)
        };
        findings.sort_by(|a, b| {
            let ordering = match key {
                "severity" => rank(a).cmp(&rank(b)),
                "policy" => text(&a["policy"]).cmp(&text(&b["policy"])),
                _ => ObjectKey::of(a).cmp(&ObjectKey::of(b)),
            };
            if self.descending {
                ordering.reverse()
            } else {
                ordering
            }
        });
    }

    /// The header link of column `key` (with the filters; ascending, or
    /// the other way when it is the column sorted by now) and its
    /// `aria-sort`.
    fn link(&self, key: &str, filters: &[(&str, String)]) -> (String, &'static str) {
        let current = self.key == Some(key);
        let descending = current && !self.descending;
        let mut params: Vec<(&str, String)> = filters.to_vec();
        params.push(("sort", key.to_owned()));
        params.push(("order", if descending { "desc" } else { "asc" }.to_owned()));
        let href = format!(
            "/admission?{}",
            serde_urlencoded::to_string(&params).unwrap_or_default()
        );
        let sort = match (current, self.descending) {
            (false, _) => "none",
            (true, false) => "ascending",
            (true, true) => "descending",
        };
        (href, sort)
    }
}

/// `GET /admission/object?kind=&namespace=&name=`: one object of the
/// inventory: its violations, its fix (the patch, and the fixed manifest
/// to download: `&download=fixed`) and its manifest.
pub async fn object_page(request: PageRequest) -> Result<Response, Response> {
    let PageRequest { app, query, csrf } = request;
    let key = ObjectKey::from_query(&query);
    let loaded = app.loaded();
    let fixes = Fixes::new(&loaded.palisade);
    if query.get("download").is_some_and(|d| d == "fixed") {
        return Ok(super::fixes::download(&fixes, &key));
    }
    let run = latest(&app, PAGE).await?.id;
    let mut equal = vec![("layer", "admission".to_owned())];
    if !key.namespace.is_empty() {
        equal.push(("namespace", key.namespace.clone()));
    }
    let rows = app
        .store
        .findings(run, &findings_filter(&equal, 0, SORTED))
        .await
        .map_err(|e| PAGE.fail(e))?;
    let findings: Vec<Value> = rows
        .iter()
        .map(|(_, body)| serde_json::from_str(body).unwrap_or(Value::Null))
        .filter(|f| ObjectKey::of(f) == key)
        .collect();
    let manifest = fixes.object(&key);
    let fix = fixes.fix(&key);
    let name = if key.namespace.is_empty() {
        format!("{} {}", key.kind, key.name)
    } else {
        format!("{} {}/{}", key.kind, key.namespace, key.name)
    };
    let body = html! {
        p { a href="/admission" { "All violations" } }
        h2 #object-h { (visible(&name)) }
        @match manifest {
            None => { p.problem role="alert" { "The inventory holds no such object." } }
            Some(manifest) => {
                section aria-labelledby="object-violations-h" {
                    h3 #object-violations-h { "Violations" }
                    @if findings.is_empty() {
                        p { "None in the latest audit." }
                    } @else {
                        ul #object-violations {
                            @for f in &findings {
                                @let policy = text(&f["policy"]);
                                li {
                                    a.policy href={ "/policies#" (policy_anchor(&policy)) } { (visible(&policy)) }
                                    " (" (text(&f["severity"])) "): " (visible(&text(&f["message"])))
                                }
                            }
                        }
                    }
                }
                section aria-labelledby="fix-h" {
                    h3 #fix-h { "Fix" }
                    @match &fix {
                        Some(fix) => {
                            (super::fixes::patch(fix))
                            p { a #download href=(key.href("&download=fixed")) download=(key.file_name()) { "Download the fixed manifest" } }
                        }
                        None => { p { "The remediation pack changes nothing in this object." } }
                    }
                }
                section aria-labelledby="manifest-h" {
                    h3 #manifest-h { "Manifest" }
                    p { code { (visible(&format!("{}:{}:{}", manifest.source.file, manifest.source.line, manifest.source.column))) } }
                    pre #manifest { (visible(&to_yaml_string(&manifest.object))) }
                }
            }
        }
    };
    Ok(PAGE.render(&csrf, body))
}
