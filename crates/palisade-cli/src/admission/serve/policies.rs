//! The served policy set: loaded from the policy directories (and the
//! built-in pack), numbered, and swapped atomically so requests never wait
//! for a reload.

use std::path::PathBuf;
use std::sync::Arc;

use arc_swap::ArcSwapOption;
use palisade::admission::builtin::BuiltinPack;
use palisade::admission::gatekeeper::EngineChoice;
use palisade::admission::mutate::{self, MutatePolicy, remediation};
use palisade::admission::pss::PodSecurityAdmission;
use palisade::admission::{
    AdmissionRequest, Context, EvaluationError, Policy, PolicySet, Violation,
};

/// Where policies come from.
#[derive(Debug, Clone)]
pub struct PolicySource {
    paths: Vec<PathBuf>,
    builtin: bool,
    pod_security: bool,
    engine: EngineChoice,
    /// Kyverno mutate policies, and whether the remediation pack comes first.
    mutate_paths: Vec<PathBuf>,
    remediation: bool,
}

impl PolicySource {
    /// Policies from `paths`, plus the built-in pack when `builtin` is set or
    /// no path is given, plus Pod Security Admission when `pod_security` is
    /// set.
    pub fn new(paths: Vec<PathBuf>, builtin: bool, pod_security: bool) -> PolicySource {
        let builtin = builtin || paths.is_empty();
        PolicySource {
            paths,
            builtin,
            pod_security,
            engine: EngineChoice::Auto,
            mutate_paths: Vec::new(),
            remediation: false,
        }
    }

    /// The same source also serving mutation (`/mutate`): the remediation
    /// pack when `remediation` is set, then the mutate policies of `paths`.
    /// A source that only mutates serves no built-in validation pack.
    pub fn with_mutation(mut self, paths: Vec<PathBuf>, remediation: bool) -> PolicySource {
        if self.paths.is_empty() && (remediation || !paths.is_empty()) {
            self.builtin = false;
        }
        self.mutate_paths = paths;
        self.remediation = remediation;
        self
    }

    /// The same source running the Gatekeeper implementation `engine` picks.
    pub fn with_engine(mut self, engine: EngineChoice) -> PolicySource {
        self.engine = engine;
        self
    }

    /// The policy files and directories (validation, then mutation).
    pub fn paths(&self) -> Vec<PathBuf> {
        self.paths
            .iter()
            .chain(&self.mutate_paths)
            .cloned()
            .collect()
    }

    /// The mutate policies: the remediation pack first when asked for;
    /// load errors as messages naming file, line and column.
    fn load_mutation(&self) -> Result<Vec<MutatePolicy>, Vec<String>> {
        let mut out = Vec::new();
        if self.remediation {
            out.extend(remediation::remediation_pack().policies);
        }
        if self.mutate_paths.is_empty() {
            return Ok(out);
        }
        let loaded = mutate::load_paths(&self.mutate_paths);
        if !loaded.errors.is_empty() {
            return Err(loaded.errors.iter().map(ToString::to_string).collect());
        }
        if loaded.policies.is_empty() {
            return Err(vec![
                "no policies with `mutate` rules found under `--mutate-policies`".to_owned(),
            ]);
        }
        out.extend(loaded.policies);
        Ok(out)
    }

    /// Loads and compiles a whole set. Any error makes the whole set fail
    /// (so a half-written change never replaces a working set); the errors
    /// come back as messages naming file, line and column.
    pub fn load(&self) -> Result<Policies, Vec<String>> {
        let mut policies = Policies::default();
        if self.builtin {
            policies.native = BuiltinPack::default().policy_set();
        }
        if self.pod_security {
            policies.native.add(LabelledPodSecurity::default());
        }
        policies.mutate = self.load_mutation()?;
        if self.paths.is_empty() {
            return Ok(policies);
        }
        super::paths::require_existing(&self.paths)?;
        let loaded = palisade::admission::load_policies_with(&self.paths, self.engine);
        if !loaded.errors.is_empty() {
            return Err(loaded.errors.iter().map(ToString::to_string).collect());
        }
        for template in loaded.templates.iter().filter(|t| t.has_rego()) {
            match template.interpreter_reason() {
                None => policies.rego_compiled += 1,
                Some(reason) => policies
                    .rego_interpreted
                    .push((template.name().to_owned(), reason.to_owned())),
            }
        }
        policies.guarded = loaded.policies;
        Ok(policies)
    }
}

/// Pod Security Admission as Kubernetes runs it: the levels come from the
/// `pod-security.kubernetes.io/*` labels of the request's Namespace (from
/// the inventory). A Namespace the inventory does not hold is an error, not
/// an unlabelled namespace: Kubernetes' own admission plugin fails the
/// request when it cannot get the Namespace, and guessing "no labels" would
/// admit Pods into a namespace that enforces `restricted`.
#[derive(Debug, Default)]
pub struct LabelledPodSecurity(PodSecurityAdmission);

impl Policy for LabelledPodSecurity {
    fn name(&self) -> &str {
        self.0.name()
    }

    fn applies_to(&self, request: &AdmissionRequest, context: &Context) -> bool {
        self.0.applies_to(request, context)
    }

    fn validate(
        &self,
        request: &AdmissionRequest,
        context: &Context,
    ) -> Result<Vec<Violation>, EvaluationError> {
        let is_namespace = request.kind.kind == "Namespace" && request.kind.group.is_empty();
        if !is_namespace
            && let Some(ns) = request.namespace.as_deref().filter(|ns| !ns.is_empty())
            && context.namespace(ns).is_none()
        {
            return Err(EvaluationError {
                policy: self.name().to_owned(),
                reason: format!(
                    "namespace `{ns}` is not known, so its `pod-security.kubernetes.io` labels cannot be read"
                ),
            });
        }
        self.0.validate(request, context)
    }
}

/// A policy set split by how it runs.
#[derive(Debug, Default)]
pub struct Policies {
    /// The built-in pack: native code whose cost is linear in the object's
    /// size (bounded by the body limit), run inline on the request's task.
    pub native: PolicySet,
    /// Policies from files (Rego templates, pattern policies), whose cost the
    /// server cannot bound: run on the blocking pool under the deadline.
    pub guarded: PolicySet,
    /// Mutate policies, served at `/mutate` in order (on the blocking pool
    /// under the deadline too).
    pub mutate: Vec<MutatePolicy>,
    /// Gatekeeper templates whose Rego runs compiled (regorus's VM).
    pub rego_compiled: usize,
    /// Gatekeeper templates whose Rego runs on regorus's interpreter, as
    /// (template, why regorus's compiler refused it).
    pub rego_interpreted: Vec<(String, String)>,
}

impl Policies {
    /// How many policies in all.
    pub fn len(&self) -> usize {
        self.native.len() + self.guarded.len() + self.mutate.len()
    }
}

/// One loaded policy set and its number (1 for the first, +1 per reload).
#[derive(Debug)]
pub struct Generation {
    /// The policies.
    pub policies: Policies,
    /// Its number.
    pub number: u64,
}

/// The policy set requests are evaluated against, swapped atomically.
#[derive(Debug, Default)]
pub struct PolicyStore {
    current: ArcSwapOption<Generation>,
}

impl PolicyStore {
    /// The current set; `None` until the first set has loaded.
    pub fn current(&self) -> Option<Arc<Generation>> {
        self.current.load_full()
    }

    /// Installs `set` as the next generation and returns its number.
    /// Requests already running keep the set they started with.
    pub fn install(&self, policies: Policies) -> u64 {
        let number = self.current.load().as_ref().map_or(0, |g| g.number) + 1;
        self.current
            .store(Some(Arc::new(Generation { policies, number })));
        number
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_pack_is_served_without_paths() {
        let source = PolicySource::new(Vec::new(), false, false);
        let policies = source.load().unwrap();
        assert_eq!(policies.len(), BuiltinPack::default().policy_set().len());
        assert!(policies.guarded.is_empty());
    }

    #[test]
    fn builtin_pack_and_directories_together() {
        let Some(dir) = palisade_testkit::corpus(
            "admission/gatekeeper/pod-security-policy/privileged-containers",
        ) else {
            return;
        };
        let policies = PolicySource::new(vec![dir], true, false).load().unwrap();
        assert_eq!(
            policies.native.len(),
            BuiltinPack::default().policy_set().len()
        );
        let names: Vec<&str> = policies
            .guarded
            .policies()
            .iter()
            .map(|p| p.name())
            .collect();
        assert_eq!(names, ["psp-privileged-container"]);
        // Its Rego is compiled: nothing falls back to the interpreter.
        assert_eq!(policies.rego_compiled, 1);
        assert!(policies.rego_interpreted.is_empty());
    }

    #[test]
    fn templates_regorus_cannot_compile_are_listed_with_the_reason() {
        let dir = std::env::temp_dir().join(format!("palisade-rego-with-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // `with` is not taken by regorus's compiler yet.
        std::fs::write(
            dir.join("template.yaml"),
            r#"apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata:
  name: withlabels
spec:
  crd:
    spec:
      names:
        kind: WithLabels
  targets:
    - target: admission.k8s.gatekeeper.sh
      rego: |
        package withlabels
        labels := input.review.object.metadata.labels
        violation[{"msg": "no app label"}] {
          l := labels with input.review.object.metadata.labels as {}
          not l.app
        }
"#,
        )
        .unwrap();
        let policies = PolicySource::new(vec![dir.clone()], false, false).load();
        std::fs::remove_dir_all(&dir).unwrap();
        let policies = policies.unwrap();
        assert_eq!(policies.rego_compiled, 0);
        let [(template, reason)] = policies.rego_interpreted.as_slice() else {
            panic!("{:?}", policies.rego_interpreted);
        };
        assert_eq!(template, "withlabels");
        assert!(reason.contains("`with`"), "{reason}");
    }

    #[test]
    fn a_missing_directory_is_an_error() {
        let source = PolicySource::new(vec![PathBuf::from("/nonexistent/palisade")], false, false);
        let errors = source.load().unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(errors[0].contains("/nonexistent/palisade"), "{errors:?}");
    }

    #[test]
    fn generations_count_up_and_swap() {
        let store = PolicyStore::default();
        assert!(store.current().is_none());
        assert_eq!(store.install(Policies::default()), 1);
        let first = store.current().unwrap();
        let builtin = Policies {
            native: BuiltinPack::default().policy_set(),
            guarded: PolicySet::new(),
            ..Policies::default()
        };
        assert_eq!(store.install(builtin), 2);
        assert_eq!(first.number, 1);
        assert_eq!(first.policies.len(), 0);
        assert_eq!(store.current().unwrap().number, 2);
    }
}
