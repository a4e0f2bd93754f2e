//! Loading manifests for the network commands, and reporting what was not
//! understood.

use std::path::PathBuf;

use palisade::network::{Issues, Resolver};

use crate::output::Output;

/// Loads `paths` and compiles them. Manifest errors are fatal (`None`);
/// policy fields that are not understood are reported as warnings.
pub fn resolver(out: &Output, paths: &[PathBuf]) -> Option<Resolver> {
    let report = palisade::manifest::load_paths(paths);
    for error in &report.errors {
        out.error(&error.to_string());
    }
    if !report.is_ok() {
        return None;
    }
    let mut issues = Issues::default();
    let resolver = Resolver::from_manifests(&report.objects, &mut issues);
    report_issues(out, &issues);
    Some(resolver)
}

/// Prints load issues to standard error.
pub fn report_issues(out: &Output, issues: &Issues) {
    for issue in issues {
        out.warning(&issue.to_string());
    }
}
