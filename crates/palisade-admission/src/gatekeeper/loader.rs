//! Loading templates and constraints from manifests, files and directories,
//! and binding each constraint to the template of its kind.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use palisade_core::Manifest;

use palisade_core::manifest;

use super::constraint::{Constraint, is_constraint_api_version};
use super::error::{GatekeeperError, NoTemplateError};
use super::policy::GatekeeperPolicy;
use super::template::ConstraintTemplate;

/// Templates and constraints found among some manifests.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Every constraint bound to its template, in the order found.
    pub policies: Vec<GatekeeperPolicy>,
    /// Every template, by constraint kind.
    pub templates: BTreeMap<String, Arc<ConstraintTemplate>>,
    /// Problems met; what loaded is still usable.
    pub errors: Vec<GatekeeperError>,
}

/// `true` when the manifest is a ConstraintTemplate.
pub fn is_template(manifest: &Manifest) -> bool {
    manifest.kind() == Some("ConstraintTemplate")
        && manifest
            .api_version()
            .is_some_and(|v| v.starts_with("templates.gatekeeper.sh/"))
}

/// `true` when the manifest is a constraint (`constraints.gatekeeper.sh/*`).
pub fn is_constraint(manifest: &Manifest) -> bool {
    manifest
        .api_version()
        .is_some_and(is_constraint_api_version)
}

/// Compiles every template among `manifests`, then binds every constraint to
/// the template of its kind. Other objects are ignored.
pub fn load_manifests(manifests: &[Manifest]) -> Loaded {
    let mut loaded = Loaded::default();
    for m in manifests.iter().filter(|m| is_template(m)) {
        match ConstraintTemplate::from_manifest(m) {
            Ok(t) => {
                loaded.templates.insert(t.kind().to_owned(), Arc::new(t));
            }
            Err(e) => loaded.errors.push(e),
        }
    }
    for m in manifests.iter().filter(|m| is_constraint(m)) {
        match Constraint::from_manifest(m) {
            Ok(c) => match loaded.templates.get(c.kind()) {
                Some(t) => match GatekeeperPolicy::bind(c, Arc::clone(t)) {
                    Ok(policy) => loaded.policies.push(policy),
                    Err(e) => loaded.errors.push(e),
                },
                None => loaded.errors.push(
                    NoTemplateError {
                        location: c.locate("kind"),
                        constraint: c.name().to_owned(),
                        kind: c.kind().to_owned(),
                    }
                    .into(),
                ),
            },
            Err(e) => loaded.errors.push(e),
        }
    }
    loaded
}

/// Loads files and directories (recursively) and compiles what they hold;
/// unreadable files and malformed documents are reported in `errors`.
pub fn load_paths<P: AsRef<Path>>(paths: &[P]) -> Loaded {
    let report = manifest::load_paths(paths);
    let mut loaded = load_manifests(&report.objects);
    let mut errors: Vec<GatekeeperError> = report.errors.into_iter().map(Into::into).collect();
    errors.append(&mut loaded.errors);
    loaded.errors = errors;
    loaded
}
