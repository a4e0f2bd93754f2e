//! `/`: where the cluster stands: the posture score with its pillars and
//! the reasons behind every point lost, open findings by layer and
//! severity, alert counts, and policy coverage at a glance; a cluster
//! picker narrows the counts to one cluster.

use std::collections::BTreeMap;

use axum::response::Response;
use maud::{Markup, html};
use serde_json::Value;

use super::audit::latest;
use super::format::{LAYERS, SEVERITIES, band, percent, text, urgency, visible};
use super::layout::{Nav, Page, field, table_section};
use super::request::PageRequest;
use crate::store::rfc3339;

const PAGE: Page = Page {
    title: "Overview",
    nav: Nav::Overview,
};

/// Audit runs drawn in the trend.
const TREND: i64 = 60;

/// `GET /?cluster=`: every cluster's counts, or the one picked.
pub async fn page(request: PageRequest) -> Result<Response, Response> {
    let PageRequest { app, csrf, query } = request;
    let (app, csrf) = (&*app, &csrf);
    let run = latest(app, PAGE).await?;
    let (at, score, posture, coverage) = (run.at, run.score, &run.posture, &run.coverage);
    let fail = |e| PAGE.fail(e);
    let clusters = app.store.clusters().await.map_err(fail)?;
    // Only a cluster the store knows is picked (anything else: all).
    let picked = query
        .get("cluster")
        .filter(|c| clusters.contains(c))
        .map(String::as_str);
    let counts = crate::summary::counts(app, run.id, picked)
        .await
        .map_err(fail)?;
    let trend = app.store.scores(&app.config.cluster, TREND).await;
    let trend = trend.map_err(fail)?;
    let own = &app.config.cluster;
    let body = html! {
        (cluster_picker(&clusters, picked))
        p.meta {
            "Posture of cluster " strong { (visible(own)) } " (the inventory's), last audit "
            time datetime=(rfc3339(at)) { (rfc3339(at)) }
        }
        div.cards {
            (score_card(score, posture, &trend))
            (alerts_card(counts.oncall, counts.review, picked))
        }
        (findings_table(&counts.findings, picked))
        (pillars(posture))
        (coverage_table(coverage))
    };
    Ok(PAGE.render(csrf, body))
}

/// The cluster picker: every cluster the store has heard of, or all.
fn cluster_picker(clusters: &[String], picked: Option<&str>) -> Markup {
    html! {
        form.filters #cluster-picker method="get" action="/" {
            (field("cluster", "Cluster", html! {
                select #cluster name="cluster" {
                    option value="" selected[picked.is_none()] { "All clusters" }
                    @for c in clusters {
                        option value=(c) selected[picked == Some(c.as_str())] { (visible(c)) }
                    }
                }
            }))
            button type="submit" { "Show" }
        }
    }
}

/// The score over the latest audits as a line (an SVG drawn here: no chart
/// library for one line), described in words for screen readers.
fn trend_line(trend: &[(i64, i64)]) -> Markup {
    const WIDTH: i64 = 300;
    const HEIGHT: i64 = 60;
    let steps = i64::try_from(trend.len().saturating_sub(1))
        .unwrap_or(1)
        .max(1);
    let points: Vec<String> = trend
        .iter()
        .zip(0..)
        .map(|((_, score), i)| {
            format!(
                "{},{}",
                i * WIDTH / steps,
                HEIGHT - score.clamp(&0, &100) * HEIGHT / 100
            )
        })
        .collect();
    let (first, last) = match (trend.first(), trend.last()) {
        (Some(f), Some(l)) => (f, l),
        _ => return html! {},
    };
    let words = format!(
        "Score over the last {} audits: from {} on {} to {} on {}",
        trend.len(),
        first.1,
        rfc3339(first.0),
        last.1,
        rfc3339(last.0)
    );
    html! {
        figure.trend {
            // One audit is no line yet: the words say it.
            @if trend.len() > 1 {
                svg #trend role="img" aria-label=(words) viewBox={ "-2 -2 " (WIDTH + 4) " " (HEIGHT + 4) } preserveAspectRatio="none" {
                    polyline points=(points.join(" ")) {}
                }
            }
            figcaption { (words) }
        }
    }
}

fn score_card(score: i64, posture: &Value, trend: &[(i64, i64)]) -> Markup {
    let form = posture.get("form_score").and_then(Value::as_i64);
    html! {
        section.card aria-labelledby="score-h" {
            h2 #score-h { "Posture score" }
            p.score class=(band(score)) {
                span #score { (score) } span.of { " / 100" }
            }
            meter min="0" max="100" low="50" high="80" optimum="100" value=(score) aria-label="Posture score" { (score) " of 100" }
            (trend_line(trend))
            @if let Some(form) = form {
                p { "The five questions of the calculator give " strong #form-score { (form) } " / 100." }
            }
        }
    }
}

fn alerts_card(oncall: i64, review: i64, picked: Option<&str>) -> Markup {
    html! {
        section.card aria-labelledby="alerts-h" {
            h2 #alerts-h {
                "Alerts"
                @if let Some(c) = picked { " of " (visible(c)) }
            }
            dl.counts {
                div { dt { "Total" } dd #alerts-total { (oncall + review) } }
                div { dt { "Escalated to on-call" } dd #alerts-oncall { (oncall) } }
                div { dt { "For review" } dd #alerts-review { (review) } }
            }
            p { a href="/runtime" { "See the alerts" } }
        }
    }
}

fn findings_table(counts: &[(String, String, i64)], picked: Option<&str>) -> Markup {
    let mut by: BTreeMap<(&str, &str), i64> = BTreeMap::new();
    for (layer, severity, n) in counts {
        *by.entry((layer.as_str(), severity.as_str())).or_default() += n;
    }
    let columns: Vec<&str> = SEVERITIES
        .iter()
        .copied()
        .filter(|s| counts.iter().any(|(_, sev, _)| sev == s))
        .collect();
    let total: i64 = counts.iter().map(|(_, _, n)| n).sum();
    html! {
        section aria-labelledby="findings-h" {
            h2 #findings-h { "Open findings by layer and severity" }
            @if total == 0 {
                p { "No open findings." }
            } @else {
                table #findings {
                    caption {
                        (total) " open findings: the latest audit's and the judged flows'"
                        @if let Some(c) = picked { " of cluster " (visible(c)) }
                    }
                    thead { tr {
                        th scope="col" { "Layer" }
                        @for s in &columns { th scope="col" class=(urgency(s)) { (s) } }
                        th scope="col" { "Total" }
                    } }
                    tbody {
                        @for layer in LAYERS {
                            tr {
                                th scope="row" { (layer) }
                                @for s in &columns {
                                    td data-severity=(s) { (by.get(&(layer, *s)).copied().unwrap_or(0)) }
                                }
                                td { (by.iter().filter(|((l, _), _)| *l == layer).map(|(_, n)| n).sum::<i64>()) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn pillars(posture: &Value) -> Markup {
    let empty = Vec::new();
    let pillars = posture
        .get("pillars")
        .and_then(Value::as_array)
        .unwrap_or(&empty);
    html! {
        section aria-labelledby="pillars-h" {
            h2 #pillars-h { "Pillars and the points lost" }
            div.pillars {
                @for pillar in pillars {
                    @let name = text(&pillar["name"]);
                    @let score = pillar.get("score").and_then(Value::as_i64).unwrap_or(0);
                    article.pillar data-pillar=(name) aria-labelledby={ "pillar-" (name) } {
                        h3 #{ "pillar-" (name) } { (name) }
                        p {
                            span.score class=(band(score)) { (score) } " / 100, weight " (text(&pillar["weight"])) "%"
                        }
                        @let reasons = pillar.get("reasons").and_then(Value::as_array);
                        @match reasons {
                            Some(reasons) if !reasons.is_empty() => {
                                ul.reasons {
                                    @for reason in reasons {
                                        li {
                                            span.points { "−" (text(&reason["points"])) }
                                            " " (text(&reason["reason"]))
                                        }
                                    }
                                }
                            }
                            _ => { p { "No points lost." } }
                        }
                    }
                }
            }
        }
    }
}

fn coverage_table(coverage: &Value) -> Markup {
    let items = coverage.as_array().filter(|items| !items.is_empty());
    let rows = items.map(|items| {
        html! {
            @for item in items {
                @let share = item.get("share").and_then(Value::as_f64).unwrap_or(0.0);
                tr {
                    th scope="row" { (text(&item["policy"])) }
                    td { (text(&item["layer"])) }
                    td { (text(&item["applies_to"])) " of " (text(&item["of"])) }
                    td {
                        meter min="0" max="1" value=(share) aria-hidden="true" {}
                        " " (percent(share))
                    }
                }
            }
        }
    });
    table_section(
        "coverage",
        "Policy coverage",
        "Share of workloads each policy applies to",
        &["Policy", "Layer", "Workloads", "Share"],
        rows,
        "No policy selects any workload.",
    )
}
