//! `/score`: the score calculator, the brief's five questions of 20 points
//! each. Answers Palisade measured are shown with their evidence; the
//! others may be changed in a form (`?QUESTION=yes|partly|no`, no script
//! needed) and the resulting score is computed here.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Extension;
use axum::extract::{Query, State};
use axum::response::Response;
use maud::html;
use serde_json::Value;

use super::format::{band, text, visible};
use super::layout::{Nav, frame, unavailable};
use super::session::Csrf;
use crate::app::App;

const TITLE: &str = "Score calculator";

/// The answers and their points.
const ANSWERS: [(&str, i64); 3] = [("yes", 20), ("partly", 10), ("no", 0)];

/// `GET /score?admission=&runtime=&network=&alerts=&tests=`.
pub async fn page(
    State(app): State<Arc<App>>,
    Query(query): Query<HashMap<String, String>>,
    Extension(csrf): Extension<Csrf>,
) -> Response {
    let posture = match app.store.latest_run(&app.config.cluster).await {
        Ok(Some((_, _, _, posture, _))) => posture,
        Ok(None) => return unavailable(TITLE, Nav::Score, "no audit has run yet"),
        Err(e) => return unavailable(TITLE, Nav::Score, &e.to_string()),
    };
    let posture: Value = serde_json::from_str(&posture).unwrap_or(Value::Null);
    let empty = Vec::new();
    let questions = posture
        .get("questions")
        .and_then(Value::as_array)
        .unwrap_or(&empty);
    // Each question's answer: measured answers stand; the others as the
    // form chose, else as answered before.
    let answers: Vec<(&Value, bool, String)> = questions
        .iter()
        .map(|q| {
            let id = text(&q["id"]);
            let measured = q.get("source").and_then(Value::as_str) == Some("measured");
            let chosen = query
                .get(&id)
                .filter(|a| !measured && ANSWERS.iter().any(|(name, _)| name == a));
            (
                q,
                measured,
                chosen.cloned().unwrap_or_else(|| text(&q["answer"])),
            )
        })
        .collect();
    let total: i64 = answers
        .iter()
        .map(|(_, _, a)| ANSWERS.iter().find(|(n, _)| n == a).map_or(0, |(_, p)| *p))
        .sum();
    let body = html! {
        p {
            "Five questions of 20 points each (yes 20, partly 10, no 0), based on production best practice. "
            "Answers Palisade measured come from the loaded policies, the inventory and the console's tuning; "
            "change the others to what is true of your cluster."
        }
        p.score class=(band(total)) { span #calculated { (total) } span.of { " / 100" } }
        form.calculator method="get" action="/score" {
            @for (i, (q, measured, answer)) in answers.iter().enumerate() {
                @let id = text(&q["id"]);
                fieldset.question #{ "q-" (id) } {
                    legend { (i + 1) ". " (visible(&text(&q["question"]))) }
                    @if *measured {
                        p { "Measured: " strong.answer { (answer) } " — " (visible(&text(&q["evidence"]))) }
                    } @else {
                        @for (name, points) in ANSWERS {
                            @let input = format!("{id}-{name}");
                            input type="radio" id=(input) name=(id) value=(name) checked[name == answer];
                            label for=(input) { (name) " (" (points) ")" }
                            " "
                        }
                        p.meta { (visible(&text(&q["evidence"]))) }
                    }
                }
            }
            button type="submit" { "Calculate" }
        }
        p.meta {
            "The posture score on the " a href="/" { "overview" } " weighs four pillars from what is loaded; "
            "this calculator is the five-question form of it (docs/posture.md)."
        }
    };
    frame(TITLE, Some(Nav::Score), &csrf.0, body)
}
