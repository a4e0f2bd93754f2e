//! `required_plugin_versions`, checked as Falco checks them against the
//! plugins it loaded.
//!
//! Palisade loads no plugin: its `k8s_audit` source stands for Falco's
//! `k8saudit` plugin (the `ka.*` fields) and its `json` plugin (the
//! `jevt.*` fields), and its syscall schema for the `container` plugin, at
//! the versions in [`PluginVersions::default`]. A
//! requirement holds when one of its alternatives names one of these with
//! a compatible version: the same major version, and not older. Other
//! versions can be claimed (`--plugin-version k8saudit=0.7.0`), e.g. to load
//! a rules file written for a newer plugin whose new fields it does not use.

use crate::loader::Loaded;

/// The plugin versions the `k8s_audit` source corresponds to, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginVersions {
    plugins: Vec<(String, Version)>,
}

/// A `major.minor.patch` version.
pub type Version = (u64, u64, u64);

impl Default for PluginVersions {
    /// `k8saudit` 0.18.0 and `json` 0.7.0, whose fields the `k8s_audit`
    /// source gives (the `ka.*` fields of the k8saudit plugin, its
    /// `initContainers`/`ephemeralContainers` ones included, and `jevt.*`);
    /// `container` 0.4.0, whose `container.*` fields the syscall schema
    /// holds (the version Falco's own rules files require).
    fn default() -> PluginVersions {
        PluginVersions {
            plugins: vec![
                ("k8saudit".to_owned(), (0, 18, 0)),
                ("json".to_owned(), (0, 7, 0)),
                ("container".to_owned(), (0, 4, 0)),
            ],
        }
    }
}

/// A `--plugin-version` value is not `NAME=x.y.z`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("plugin version `{given}`: {reason}")]
#[diagnostic(
    code(palisade::runtime::k8saudit::plugin_version),
    help("write NAME=MAJOR.MINOR.PATCH, e.g. k8saudit=0.7.0")
)]
pub struct PluginVersionError {
    /// The text given.
    pub given: String,
    /// What is wrong.
    pub reason: String,
}

/// A rules file requires a plugin version that is not there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{message}")]
#[diagnostic(
    code(palisade::runtime::k8saudit::plugin_requirement),
    help(
        "claim another version with --plugin-version NAME=x.y.z if the rules use no field Palisade lacks"
    )
)]
pub struct PluginRequirementError {
    /// Falco's words for the first requirement that does not hold.
    pub message: String,
}

impl PluginVersions {
    /// No plugin at all.
    pub fn none() -> PluginVersions {
        PluginVersions {
            plugins: Vec::new(),
        }
    }

    /// Sets (or adds) plugin `name` at `version`.
    pub fn set(&mut self, name: &str, version: Version) -> &mut PluginVersions {
        match self.plugins.iter_mut().find(|(n, _)| n == name) {
            Some((_, v)) => *v = version,
            None => self.plugins.push((name.to_owned(), version)),
        }
        self
    }

    /// Sets a plugin version from `NAME=x.y.z` (a flag's value).
    pub fn set_flag(&mut self, flag: &str) -> Result<&mut PluginVersions, PluginVersionError> {
        let error = |reason: &str| PluginVersionError {
            given: flag.to_owned(),
            reason: reason.to_owned(),
        };
        let (name, version) = flag
            .split_once('=')
            .ok_or_else(|| error("no `=` between the name and the version"))?;
        let name = name.trim();
        if name.is_empty() {
            return Err(error("the plugin name is empty"));
        }
        let version = parse_version(version.trim())
            .ok_or_else(|| error("the version is not MAJOR.MINOR.PATCH"))?;
        Ok(self.set(name, version))
    }

    /// The version of plugin `name`, if it is there.
    pub fn get(&self, name: &str) -> Option<Version> {
        self.plugins
            .iter()
            .find(|(n, _)| n == name)
            .map(|&(_, v)| v)
    }

    /// Checks every `required_plugin_versions` requirement of `loaded`, in
    /// file order; the first that no alternative meets is the error.
    pub fn check(&self, loaded: &Loaded) -> Result<(), PluginRequirementError> {
        for alternatives in &loaded.required_plugin_versions {
            self.check_one(alternatives)?;
        }
        Ok(())
    }

    fn check_one(&self, alternatives: &[(String, String)]) -> Result<(), PluginRequirementError> {
        let mut mismatch = None;
        for (name, required) in alternatives {
            let Some(have) = self.get(name) else {
                continue;
            };
            let Some(want) = parse_version(required) else {
                return Err(PluginRequirementError {
                    message: format!(
                        "Plugin '{name}' required version '{required}' is not a valid version"
                    ),
                });
            };
            if have.0 == want.0 && have >= want {
                return Ok(());
            }
            mismatch.get_or_insert_with(|| {
                format!(
                    "Plugin '{name}' version '{}.{}.{}' is not compatible with required plugin version '{required}'",
                    have.0, have.1, have.2
                )
            });
        }
        let names: Vec<&str> = alternatives.iter().map(|(n, _)| n.as_str()).collect();
        Err(PluginRequirementError {
            message: mismatch.unwrap_or_else(|| {
                format!(
                    "Plugin '{}' is required but not loaded",
                    names.join("' or '")
                )
            }),
        })
    }
}

/// `0.7.0` (a missing minor or patch reads as 0; a `-pre` tail is ignored).
fn parse_version(text: &str) -> Option<Version> {
    let core = text.split(['-', '+']).next().unwrap_or(text);
    let mut parts = core.split('.');
    let mut next = || -> Option<u64> {
        match parts.next() {
            Some(p) => p.parse().ok(),
            None => Some(0),
        }
    };
    let version = (next()?, next()?, next()?);
    parts.next().is_none().then_some(version)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loader::Loader;

    fn loaded(yaml: &str) -> Loaded {
        let schema = super::super::schema();
        let mut loader = Loader::with_checker(&schema);
        loader.add_str("r.yaml", yaml);
        loader.finish()
    }

    #[test]
    fn requirements_hold_as_in_falco() {
        let rules = loaded(
            "- required_plugin_versions:\n  - name: k8saudit\n    version: 0.6.0\n    alternatives:\n      - name: k8saudit-eks\n        version: 0.2.0\n  - name: json\n    version: 0.7.0\n",
        );
        let mut versions = PluginVersions::default();
        assert_eq!(versions.check(&rules), Ok(()));
        versions.set_flag("k8saudit=0.5.1").unwrap();
        assert_eq!(
            versions.check(&rules).unwrap_err().message,
            "Plugin 'k8saudit' version '0.5.1' is not compatible with required plugin version '0.6.0'"
        );
        versions.set_flag("k8saudit-eks = 0.3.0").unwrap();
        assert_eq!(versions.check(&rules), Ok(()));
        assert_eq!(
            PluginVersions::none().check(&rules).unwrap_err().message,
            "Plugin 'k8saudit' or 'k8saudit-eks' is required but not loaded"
        );
        versions.set_flag("k8saudit=1.6.0").unwrap();
        versions.set_flag("k8saudit-eks=1.0").unwrap();
        assert!(versions.check(&rules).is_err());
        for bad in ["k8saudit", "=1.0.0", "json=x", "json=1.2.3.4"] {
            assert!(PluginVersions::default().set_flag(bad).is_err(), "{bad}");
        }
    }
}
