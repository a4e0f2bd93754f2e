//! `/policies`: every policy the audit saw with its layer, coverage (share
//! of workloads) and findings; every loaded file with what it held; whether
//! the policies are tested (the posture's evidence); the export of the
//! active set as manifests.

use std::collections::HashMap;

use axum::response::Response;
use maud::html;
use serde_json::Value;

use super::audit::latest;
use super::format::{percent, policy_anchor, text, visible};
use super::layout::{Nav, Page, table_section};
use super::request::PageRequest;

const PAGE: Page = Page {
    title: "Policies",
    nav: Nav::Policies,
};

/// `GET /policies`.
pub async fn page(request: PageRequest) -> Result<Response, Response> {
    let PageRequest { app, csrf, .. } = request;
    let run = latest(&app, PAGE).await?;
    let (posture, coverage) = (&run.posture, &run.coverage);
    let counts = app
        .store
        .policy_counts(run.id)
        .await
        .map_err(|e| PAGE.fail(e))?;
    let counts: HashMap<String, i64> = counts.into_iter().collect();
    let questions = posture.pointer("/questions").and_then(Value::as_array);
    let tests = questions.into_iter().flatten().find(|q| q["id"] == "tests");
    let loaded = app.loaded();
    let rules = loaded.palisade.rules().map_or(0, |r| r.rules().len());
    let policies = coverage.as_array().filter(|c| !c.is_empty()).map(|items| {
        html! {
            @for item in items {
                @let name = text(&item["policy"]);
                @let share = item.get("share").and_then(Value::as_f64).unwrap_or(0.0);
                tr #(policy_anchor(&name)) data-policy=(name) {
                    th scope="row" { (visible(&name)) }
                    td { (text(&item["layer"])) }
                    td { (text(&item["applies_to"])) " of " (text(&item["of"])) " (" (percent(share)) ")" }
                    td.findings { (counts.get(&name).copied().unwrap_or(0)) }
                }
            }
        }
    });
    let files = (!loaded.palisade.files().is_empty()).then(|| {
        html! {
            @for file in loaded.palisade.files() {
                tr {
                    th scope="row" { code { (visible(&file.path.display().to_string())) } }
                    td { (file.kind.as_str()) }
                    td { (file.items) }
                }
            }
        }
    });
    let body = html! {
        p {
            a href="/api/v1/policies/export" download="palisade-policies.json" { "Export the active policy set" }
            " as one Kubernetes List (ConstraintTemplates and constraints, pattern and admission policies, network policies, the Falco rules with the console's exceptions as a ConfigMap) for "
            code { "kubectl apply -f" } " or GitOps. "
            (rules) " runtime rules are loaded: see " a href="/runtime" { "Runtime" } "."
        }
        @if let Some(tests) = tests {
            section aria-labelledby="tests-h" {
                h2 #tests-h { "Tested?" }
                p #tests { strong { (text(&tests["answer"])) } ": " (visible(&text(&tests["evidence"]))) }
            }
        }
        (table_section(
            "policies",
            "Policies and their coverage",
            "Share of workloads each policy applies to, and its open findings in the latest audit",
            &["Policy", "Layer", "Workloads", "Findings"],
            policies,
            "No policy applies to any workload.",
        ))
        (table_section(
            "files",
            "Loaded files",
            "What each input file was recognized as and how many objects or rules-file items it held",
            &["File", "Kind", "Items"],
            files,
            "No files are loaded.",
        ))
    };
    Ok(PAGE.render(&csrf, body))
}
