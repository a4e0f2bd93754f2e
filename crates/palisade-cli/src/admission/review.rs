//! `palisade admission review`: one AdmissionReview in, the AdmissionReview
//! answering it out.

use std::path::PathBuf;

use clap::Args;
use palisade::admission::{AdmissionReview, Context, load_policies};
use palisade::manifest;

use crate::exit::Exit;
use crate::output::Output;

/// Arguments of `palisade admission review`.
#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// Files or directories of policies: Gatekeeper ConstraintTemplates with
    /// their constraints, and the other policy kinds Palisade loads.
    #[arg(long = "policies", value_name = "DIR", required = true)]
    pub policies: Vec<PathBuf>,
    /// Files or directories of cluster objects to evaluate against
    /// (Namespaces for namespace selectors, `data.inventory` for
    /// referential templates).
    #[arg(long = "inventory", value_name = "DIR")]
    pub inventory: Vec<PathBuf>,
    /// The AdmissionReview (`admission.k8s.io/v1`, JSON or YAML), or `-`
    /// for standard input.
    #[arg(value_name = "REVIEW.json")]
    pub review: PathBuf,
}

/// Runs `palisade admission review`: prints the response AdmissionReview;
/// exit 0 when allowed, 1 when denied, 2 when the review or a policy
/// cannot be read.
pub fn run(out: &Output, args: &ReviewArgs) -> Exit {
    let loaded = load_policies(&args.policies);
    if !loaded.errors.is_empty() {
        for e in &loaded.errors {
            out.error(&e.to_string());
        }
        return Exit::InputError;
    }
    if loaded.policies.is_empty() {
        out.warning("no policies found; every request is allowed");
    }
    let mut context = Context::new();
    let inventory = manifest::load_paths(&args.inventory);
    for e in &inventory.errors {
        out.error(&e.to_string());
    }
    if !inventory.errors.is_empty() {
        return Exit::InputError;
    }
    for object in inventory.objects {
        context.add_object(object.object);
    }
    let report = manifest::load_path(&args.review);
    if let Some(e) = report.errors.first() {
        out.error(&e.to_string());
        return Exit::InputError;
    }
    let review = match report.objects.as_slice() {
        [one] => match AdmissionReview::parse(&one.object) {
            Ok(review) => review,
            Err(e) => {
                out.error(&format!("{}: {e}", one.source.location()));
                return Exit::InputError;
            }
        },
        objects => {
            out.error(&format!(
                "{}: expected one AdmissionReview, found {} objects",
                args.review.display(),
                objects.len()
            ));
            return Exit::InputError;
        }
    };
    let decision = loaded.policies.evaluate(&review.request, &context);
    let response = decision.response();
    out.print_json(&review.response_json(&response));
    if !out.json() {
        for v in decision
            .violations
            .iter()
            .filter(|v| v.action == palisade::EnforcementAction::Dryrun)
        {
            out.note(&format!("dryrun: {}", v.display_message()));
        }
    }
    if response.allowed {
        Exit::Ok
    } else {
        Exit::Violation
    }
}
