//! `/network`: violations seen in observed flows (Hubble records posted to
//! `/api/v1/flows` that the policies judge otherwise, or that the intents
//! do not declare), the network audit's findings (unprotected workloads, missing
//! default deny, world egress without L7 rules), who may talk to whom
//! inside one namespace (the allowed ports of every pair), and "explain":
//! a source, a destination and a port give the verdict with the policy
//! and rule that decided it.

use std::collections::{BTreeSet, HashMap};

use axum::response::Response;
use maud::{Markup, html};
use palisade::network::{Flow, Protocol, Resolver};
use serde_json::Value;

use super::audit::{findings_filter, latest};
use super::format::{text, urgency, visible};
use super::layout::{Nav, Page, field, table_section};
use super::request::PageRequest;
use crate::store::{Filter, StoredFlowFinding};

const PAGE: Page = Page {
    title: "Network",
    nav: Nav::Network,
};

/// Findings shown (the API pages through all of them).
const FINDINGS: i64 = 200;

/// Workloads in one namespace's matrix (rows and columns).
const MATRIX: usize = 30;

/// `GET /network?namespace=&from=&to=&port=&protocol=`.
pub async fn page(request: PageRequest) -> Result<Response, Response> {
    let PageRequest { app, query, csrf } = request;
    let run = latest(&app, PAGE).await?.id;
    let filter = findings_filter(&[("layer", "network".to_owned())], 0, FINDINGS);
    let rows = app
        .store
        .findings(run, &filter)
        .await
        .map_err(|e| PAGE.fail(e))?;
    let findings: Vec<Value> = rows
        .iter()
        .map(|(_, body)| serde_json::from_str(body).unwrap_or(Value::Null))
        .collect();
    let flows = Filter {
        limit: FINDINGS,
        ..Filter::default()
    };
    let flows = app
        .store
        .list::<StoredFlowFinding>(&flows)
        .await
        .map_err(|e| PAGE.fail(e))?;
    let loaded = app.loaded();
    let resolver = loaded.palisade.resolver();
    let body = html! {
        (flows_table(&flows))
        (explain(resolver, &query))
        (matrix(resolver, param(&query, "namespace")))
        (findings_table(&findings))
    };
    Ok(PAGE.render(&csrf, body))
}

/// Every workload's `ns/name[Kind]`, sorted.
fn workloads(resolver: &Resolver) -> Vec<String> {
    let mut names: Vec<String> = resolver
        .catalog()
        .inventory
        .endpoints
        .iter()
        .map(|e| format!("{}/{}[{}]", e.namespace, e.name, e.kind))
        .collect();
    names.sort();
    names
}

/// The query parameter `name`, empty when absent.
fn param<'a>(query: &'a HashMap<String, String>, name: &str) -> &'a str {
    query.get(name).map(String::as_str).unwrap_or_default()
}

fn explain(resolver: &Resolver, query: &HashMap<String, String>) -> Markup {
    let get = |name| param(query, name);
    let (from, to, port, protocol) = (get("from"), get("to"), get("port"), get("protocol"));
    let protocol = if protocol.is_empty() { "TCP" } else { protocol };
    let answer = (!from.is_empty() || !to.is_empty() || !port.is_empty())
        .then(|| verdict(resolver, from, to, port, protocol));
    html! {
        section aria-labelledby="explain-h" {
            h2 #explain-h { "Explain a flow" }
            form.filters method="get" action="/network" {
                (field("from", "From (workload or IP)", html! { input #from name="from" list="workloads" value=(from) required; }))
                (field("to", "To (workload or IP)", html! { input #to name="to" list="workloads" value=(to) required; }))
                (field("port", "Port", html! { input #port name="port" type="number" min="1" max="65535" value=(port) required; }))
                (field("protocol", "Protocol", html! {
                    select #protocol name="protocol" {
                        @for p in ["TCP", "UDP", "SCTP"] {
                            option value=(p) selected[p == protocol] { (p) }
                        }
                    }
                }))
                button type="submit" { "Explain" }
                datalist #workloads {
                    @for w in workloads(resolver) { option value=(w) {} }
                }
            }
            @if let Some(answer) = answer { (answer) }
        }
    }
}

/// The verdict for the form's flow, or what is wrong with the form.
fn verdict(resolver: &Resolver, from: &str, to: &str, port: &str, protocol: &str) -> Markup {
    let problem =
        |message: String| html! { p.problem #verdict role="alert" { (visible(&message)) } };
    let Some(src) = resolver.flow_end(from) else {
        return problem(format!(
            "no workload `{from}` (give NS/NAME, NS/NAME[Kind] or an IP address)"
        ));
    };
    let Some(dst) = resolver.flow_end(to) else {
        return problem(format!(
            "no workload `{to}` (give NS/NAME, NS/NAME[Kind] or an IP address)"
        ));
    };
    let Some(port) = port.parse::<u16>().ok().filter(|p| *p > 0) else {
        return problem(format!("the port must be 1 to 65535: `{port}`"));
    };
    let Some(protocol) = Protocol::parse(protocol) else {
        return problem(format!("unknown protocol `{protocol}` (TCP, UDP or SCTP)"));
    };
    let verdict = resolver.check(&Flow {
        src,
        dst,
        protocol,
        port,
    });
    html! {
        div #verdict role="status" {
            p {
                strong class=(if verdict.allowed { "good" } else { "poor" }) {
                    @if verdict.allowed { "ALLOWED" } @else { "DENIED" }
                }
                " " (visible(from)) " → " (visible(to)) " " (protocol.as_str()) "/" (port)
            }
            ul { @for line in verdict.explanation() { li { (visible(&line)) } } }
        }
    }
}

fn matrix(resolver: &Resolver, namespace: &str) -> Markup {
    let inventory = &resolver.catalog().inventory;
    let namespaces: BTreeSet<&str> = inventory
        .endpoints
        .iter()
        .map(|e| e.namespace.as_str())
        .collect();
    let chosen = if namespace.is_empty() {
        namespaces.iter().next().copied().unwrap_or_default()
    } else {
        namespace
    };
    let members: Vec<_> = inventory
        .endpoints
        .iter()
        .enumerate()
        .filter(|(_, e)| e.namespace == chosen)
        .take(MATRIX)
        .filter_map(|(i, e)| {
            let id = resolver.identity_of(palisade::network::EndpointId(u32::try_from(i).ok()?))?;
            Some((format!("{}[{}]", e.name, e.kind), id))
        })
        .collect();
    html! {
        section aria-labelledby="matrix-h" {
            h2 #matrix-h { "Who may talk to whom" }
            form.filters method="get" action="/network" {
                (field("namespace", "Namespace", html! {
                    select #namespace name="namespace" {
                        @for ns in &namespaces { option value=(ns) selected[*ns == chosen] { (visible(ns)) } }
                    }
                }))
                button type="submit" { "Show" }
            }
            @if members.is_empty() {
                p { "No workloads in this namespace." }
            } @else {
                table #matrix {
                    caption { "Ports each workload of " (visible(chosen)) " may open to each other (rows: from, columns: to; — none)" }
                    thead { tr {
                        td {}
                        @for (name, _) in &members { th scope="col" { (visible(name)) } }
                    } }
                    tbody {
                        @for (src_name, src) in &members {
                            tr {
                                th scope="row" { (visible(src_name)) }
                                @for (_, dst) in &members {
                                    @let ports = resolver.allowed_ports(*src, *dst);
                                    td { @if ports.is_empty() { "—" } @else { (ports.to_string()) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn findings_table(findings: &[Value]) -> Markup {
    let rows = (!findings.is_empty()).then(|| {
        html! {
            @for finding in findings {
                @let severity = text(&finding["severity"]);
                tr {
                    th scope="row" { (visible(&text(&finding["policy"]))) }
                    td class=(urgency(&severity)) { (severity) }
                    td { (visible(&text(&finding["message"]))) }
                }
            }
        }
    });
    table_section(
        "network-findings",
        "Network findings",
        "Unprotected workloads, namespaces without default deny, egress to the world without L7 rules (latest audit)",
        &["Check", "Severity", "Message"],
        rows,
        "No network findings.",
    )
}

/// The stored flow findings: the flow, what was observed and what the
/// policies say, the rules that decided, repeats and last time.
fn flows_table(flows: &[StoredFlowFinding]) -> Markup {
    let rows = (!flows.is_empty()).then(|| {
        html! {
            @for stored in flows {
                @let f = &stored.finding;
                @let flow = &f["flow"];
                @let severity = text(&f["severity"]);
                @let subject = &f["subject"];
                tr data-finding=(text(&flow["finding"])) {
                    th scope="row" { (visible(&text(&flow["finding"]))) }
                    td class=(urgency(&severity)) { (severity) }
                    td.flow {
                        (visible(&text(&subject["from"]))) " → " (visible(&text(&subject["to"])))
                        " " (visible(&text(&subject["protocol"]))) "/" (text(&subject["port"]))
                    }
                    td { (visible(&text(&flow["observed"]))) " (" (visible(&text(&flow["direction"]))) "), policies: " (visible(&text(&flow["verdict"]))) }
                    td {
                        @if let Some(reasons) = flow["decided_by"].as_array() {
                            ul { @for r in reasons { li { (visible(&text(&r["text"]))) } } }
                        }
                    }
                    td { (stored.count) }
                    td { time datetime=(stored.last_seen) { (stored.last_seen) } }
                    td { (visible(&stored.cluster)) }
                }
            }
        }
    });
    table_section(
        "flow-findings",
        "Violations from observed flows",
        "Hubble flows the cluster forwarded or dropped otherwise than the policies say (drift), declared paths that were dropped, and allowed paths nobody declared",
        &[
            "Finding",
            "Severity",
            "Flow",
            "Observed",
            "Decided by",
            "Count",
            "Last seen",
            "Cluster",
        ],
        rows,
        "No flow findings: post Hubble flows to /api/v1/flows.",
    )
}
