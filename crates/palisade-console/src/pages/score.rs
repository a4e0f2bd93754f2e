//! `/score`: the score calculator, the brief's five questions of 20 points
//! each. Answers Palisade measured are shown with their evidence; the
//! others may be changed in a form (`?QUESTION=yes|partly|no`, no script
//! needed) and the resulting score is computed here.

use axum::response::Response;
use maud::html;
use serde_json::Value;

use super::audit::latest;
use super::format::{band, text, visible};
use super::layout::{Nav, Page};
use super::request::PageRequest;

const PAGE: Page = Page {
    title: "Score calculator",
    nav: Nav::Score,
};

/// The answers and their points.
const ANSWERS: [(&str, i64); 3] = [("yes", 20), ("partly", 10), ("no", 0)];

/// `GET /score?admission=&runtime=&network=&alerts=&tests=`.
pub async fn page(request: PageRequest) -> Result<Response, Response> {
    let PageRequest { app, query, csrf } = request;
    let posture = latest(&app, PAGE).await?.posture;
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
    Ok(PAGE.render(&csrf, body))
}
