//! Bad-input suite of mutation: every malformed mutate policy under
//! `tests/bad_input/mutate/` gives the error in its `<case>.expected` file,
//! with file, line and column, and nothing panics. A policy that loads is
//! applied to a fixed Pod; a rule that cannot apply its patches is the
//! error (with the rule's position).

use palisade_admission::mutate::{self, MutateStatus};
use palisade_admission::pattern::PatternRequest;
use palisade_testkit::bad_input;

#[test]
fn bad_mutate_policies_are_errors_with_positions() {
    let pod = serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
        "spec": {"containers": [{"name": "web", "image": "nginx:1"}]}
    });
    bad_input::run("tests/bad_input/mutate", |case| {
        let load = mutate::load_file(case.path);
        if let Some(e) = load.errors.first() {
            return Some(e.to_string());
        }
        let outcome = mutate::mutate(&load.policies, &PatternRequest::create(&pod));
        outcome
            .rules
            .iter()
            .find(|r| r.status == MutateStatus::Error)
            .map(ToString::to_string)
    });
}
