//! Loading manifests for the network commands, and reporting what was not
//! understood.

use std::path::PathBuf;

use palisade::network::intent::Declaration;
use palisade::network::{Issues, Resolver};

use crate::output::Output;

/// Loads `paths` and compiles them. Manifest errors are fatal (`None`);
/// policy fields that are not understood are reported as warnings.
pub fn resolver(out: &Output, paths: &[PathBuf]) -> Option<Resolver> {
    let objects = manifests(out, paths)?;
    let mut issues = Issues::default();
    let resolver = Resolver::from_manifests(&objects, &mut issues);
    report_issues(out, &issues);
    Some(resolver)
}

/// The manifests in `paths`; their errors are printed and fatal (`None`).
fn manifests(out: &Output, paths: &[PathBuf]) -> Option<Vec<palisade::manifest::Manifest>> {
    let report = palisade::manifest::load_paths(paths);
    for error in &report.errors {
        out.error(&error.to_string());
    }
    report.is_ok().then_some(report.objects)
}

/// Prints load issues to standard error.
pub fn report_issues(out: &Output, issues: &Issues) {
    for issue in issues {
        out.warning(&issue.to_string());
    }
}

/// Loads and compiles `cluster` (policies and inventory), then the
/// ClientIntents in `intents` (manifest errors are fatal: `None`); what is
/// not understood goes to the returned issues. `no_implicit_dns` turns off
/// the DNS every workload is declared to use.
pub fn with_declaration(
    out: &Output,
    cluster: &[PathBuf],
    intents: &[PathBuf],
    no_implicit_dns: bool,
) -> Option<(Resolver, Declaration, Issues)> {
    let resolver = resolver(out, cluster)?;
    let objects = manifests(out, intents)?;
    let mut issues = Issues::default();
    let mut declaration = Declaration::from_manifests(&objects, &mut issues);
    declaration.implicit_dns = !no_implicit_dns;
    Some((resolver, declaration, issues))
}
