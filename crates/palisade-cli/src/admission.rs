//! `palisade admission …`: review, verify, Pod Security, audit, test, mutate, fix, serve, cert.

mod audit;
mod fix;
mod mutate;
mod object_at;
mod pss;
mod review;
mod test;
mod verify;

use clap::Subcommand;

use crate::exit::Exit;
use crate::output::{Output, Style};

mod cert;
pub(crate) mod serve;

/// Commands of the `admission` group.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Answer an AdmissionReview (`admission.k8s.io/v1`) with the loaded policies.
    Review(review::ReviewArgs),
    /// Run Gatekeeper `suite.yaml` files like `gator verify`.
    Verify(verify::VerifyArgs),
    /// Check manifests against a Pod Security Standards level, natively.
    Pss(pss::PssArgs),
    /// Audit existing objects against policies, with coverage per policy.
    Audit(audit::AuditArgs),
    /// Run Kyverno `kyverno-test.yaml` files like `kyverno test` (pattern policies).
    Test(test::TestArgs),
    /// Apply Kyverno `mutate` policies to manifests: mutated YAML, or JSON patches
    Mutate(mutate::MutateArgs),
    /// Fix manifests for Pod Security with the built-in pack and mutate policies
    Fix(fix::FixArgs),
    /// Serve policies as a validating admission webhook over HTTPS.
    Serve(Box<serve::ServeArgs>),
    /// Write a development CA and a webhook server certificate signed by it.
    Cert(cert::CertArgs),
}

/// Runs a command of the group.
pub fn run(out: &Output, command: Command) -> Exit {
    match command {
        Command::Review(args) => review::run(out, &args),
        Command::Verify(args) => verify::run(out, &args),
        Command::Pss(args) => pss::run(out, &args),
        Command::Audit(args) => audit::run(out, &args),
        Command::Test(args) => test::run(out, &args),
        Command::Mutate(args) => mutate::run(out, &args),
        Command::Fix(args) => fix::run(out, &args),
        Command::Serve(args) => serve::run(out, *args),
        Command::Cert(args) => cert::run(out, &args),
    }
}

/// A Pod the built-in pack denies: privileged, unlisted registry, no limits.
const DEMO_DENIED: &str = r#"{"apiVersion": "v1", "kind": "Pod",
  "metadata": {"name": "debug-shell", "namespace": "shop", "labels": {"app": "debug"}},
  "spec": {"containers": [{"name": "shell", "image": "docker.io/library/busybox:latest",
    "securityContext": {"privileged": true}}]}}"#;

/// A Pod the built-in pack admits.
const DEMO_ALLOWED: &str = r#"{"apiVersion": "v1", "kind": "Pod",
  "metadata": {"name": "web", "namespace": "shop",
    "labels": {"app": "web", "owner": "team-shop", "env": "prod"}},
  "spec": {"containers": [{"name": "web", "image": "ghcr.io/example/web:1.4.2",
    "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}}}]}}"#;

/// This layer's part of `palisade demo`: the built-in policy pack on a
/// denied and an allowed Pod, with reasons.
pub fn demo(out: &Output) -> Exit {
    use palisade::admission::builtin::BuiltinPack;
    use palisade::admission::{AdmissionRequest, Context};

    let pack = BuiltinPack::default().policy_set();
    let context = Context::new();
    let mut rows = Vec::new();
    for text in [DEMO_DENIED, DEMO_ALLOWED] {
        let Ok(object) = serde_json::from_str::<serde_json::Value>(text) else {
            out.error("the built-in demo object is not JSON");
            return Exit::InputError;
        };
        let Ok(request) = AdmissionRequest::from_object(object) else {
            out.error("the built-in demo object is not a Kubernetes object");
            return Exit::InputError;
        };
        let decision = pack.evaluate(&request, &context);
        rows.push((request.object_ref().to_string(), decision));
    }
    if out.json() {
        let doc: Vec<serde_json::Value> = rows
            .iter()
            .map(|(object, d)| {
                serde_json::json!({
                    "object": object,
                    "allowed": d.allowed(),
                    "reasons": d.violations.iter().map(|v| v.display_message()).collect::<Vec<_>>(),
                })
            })
            .collect();
        out.print_json(&serde_json::json!({"admission": doc}));
        return Exit::Ok;
    }
    out.line("");
    out.line(&out.paint(
        Style::Bold,
        "Admission: the built-in policy pack (registries, limits, privileged, Pod Security baseline, labels)",
    ));
    for (object, d) in &rows {
        if d.allowed() {
            out.line(&format!("{} {object}", out.paint(Style::Green, "ALLOWED")));
        } else {
            out.line(&format!("{} {object}", out.paint(Style::Red, "DENIED")));
            for v in &d.violations {
                out.line(&format!("  - {}", v.display_message()));
            }
        }
    }
    Exit::Ok
}
