//! A runner of Gatekeeper `suite.yaml` files, with `gator verify`'s
//! semantics.
//!
//! A suite (`apiVersion: test.gatekeeper.sh/v1alpha1`, `kind: Suite`) lists
//! tests; each names a `template` and a `constraint` file (paths relative to
//! the suite's directory) and `cases`. A case reviews the object of its
//! `object` file (a plain object, or an `AdmissionReview` whose `request` is
//! the review, which must carry `object` or `oldObject`); when the file
//! holds several documents, the last is reviewed and the others are synced
//! into the inventory. The objects of its `inventory` files are
//! `data.inventory`. A case must have at least one assertion; each is
//! checked:
//!
//! - `violations`: `yes` (at least one; the default), `no` (none) or an
//!   integer N (exactly N) violations *that match the assertion*;
//! - `message`: when given, only violations whose message matches this
//!   regular expression (unanchored, Go RE2 syntax) count.
//!
//! A test with `invalid: true` passes when its constraint is refused (its
//! parameters do not fit the template's schema); it is reported as one case
//! named `(invalid constraint)`, and its cases do not run.
//!
//! Violations are counted whatever the constraint's `enforcementAction`,
//! and only when the constraint's `match` selects the object. A test whose
//! template or constraint does not load fails every one of its cases, with
//! the error as the detail. Tests and cases with `skip: true` are reported
//! as skipped and counted neither as passed nor failed.

use std::fs;
use std::path::Path;
use std::sync::Arc;

use palisade_core::{Location, Manifest};
use serde::Serialize;
use serde_json::Value as Json;

use crate::gatekeeper::{
    Constraint, ConstraintTemplate, EngineChoice, GatekeeperError, GatekeeperPolicy, RegoMode,
};
use crate::review::{AdmissionRequest, AdmissionReview, Context, Policy};
use palisade_core::manifest;
use palisade_core::walk::{Walker, has_extension};

/// How deep directories are searched for suites.
const MAX_DEPTH: usize = 32;

/// The outcome of one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseResult {
    /// The suite file.
    pub suite: String,
    /// The test's `name`.
    pub test: String,
    /// The case's `name`.
    pub case: String,
    /// Where the case is written in the suite file (`file`, `line` and
    /// `column` in JSON).
    #[serde(flatten)]
    pub location: Location,
    /// Whether every assertion held.
    pub passed: bool,
    /// What was found (the violations, or why the case failed).
    pub detail: String,
    /// The messages of the violations found, in the order the template
    /// gave them (empty when the case did not run).
    #[serde(skip)]
    pub violations: Vec<String>,
    /// `true` when the test or case has `skip: true` (then `passed` is false
    /// and the case is counted neither way).
    #[serde(skip)]
    pub skipped: bool,
}

/// Everything a run found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SuiteReport {
    /// Every case, in suite, test and case order.
    pub cases: Vec<CaseResult>,
    /// Suite files that could not be read at all.
    pub errors: Vec<String>,
}

impl SuiteReport {
    /// Cases that passed.
    pub fn passed(&self) -> usize {
        self.cases.iter().filter(|c| c.passed && !c.skipped).count()
    }

    /// Cases that failed.
    pub fn failed(&self) -> usize {
        self.cases
            .iter()
            .filter(|c| !c.passed && !c.skipped)
            .count()
    }

    /// Cases skipped.
    pub fn skipped(&self) -> usize {
        self.cases.iter().filter(|c| c.skipped).count()
    }

    /// `{"cases": [...], "passed": N, "failed": N}` (skipped cases left out),
    /// with `"skipped": [...]` (each with its reason) when cases were skipped
    /// because their template lacks the forced engine.
    pub fn to_json(&self) -> Json {
        let cases: Vec<&CaseResult> = self.cases.iter().filter(|c| !c.skipped).collect();
        let mut json = serde_json::json!({
            "cases": cases,
            "passed": self.passed(),
            "failed": self.failed(),
        });
        let skipped: Vec<&CaseResult> = self
            .cases
            .iter()
            .filter(|c| c.skipped && c.detail != "skipped")
            .collect();
        if !skipped.is_empty()
            && let Some(map) = json.as_object_mut()
        {
            map.insert("skipped".into(), serde_json::json!(skipped));
        }
        json
    }
}

/// Finds suite files under `paths` (a file is taken as given; directories
/// are searched recursively, in sorted order, for YAML files holding a
/// `kind: Suite` document) and runs them all.
pub fn run_paths<P: AsRef<Path>>(paths: &[P]) -> SuiteReport {
    run_paths_with(paths, EngineChoice::Auto)
}

/// [`run_paths`] running each template's implementation that `engine`
/// picks (`gator verify` with `--enable-k8s-native-validation` for `auto`);
/// the cases of a template without a forced engine are skipped, with the
/// reason as their detail.
pub fn run_paths_with<P: AsRef<Path>>(paths: &[P], engine: EngineChoice) -> SuiteReport {
    run_paths_on(paths, engine, RegoMode::Auto)
}

/// [`run_paths_with`] evaluating Rego on the regorus evaluator `rego` picks
/// (to compare the compiled programs with the interpreter).
pub fn run_paths_on<P: AsRef<Path>>(
    paths: &[P],
    engine: EngineChoice,
    rego: RegoMode,
) -> SuiteReport {
    let mut report = SuiteReport::default();
    let mut suites = Vec::new();
    for path in paths {
        let path = path.as_ref();
        if path.is_dir() {
            match Walker::new().max_depth(MAX_DEPTH).files(path, is_suite) {
                Ok(mut found) => suites.append(&mut found),
                Err(e) => report.errors.push(e.to_string()),
            }
        } else {
            suites.push(path.to_path_buf());
        }
    }
    for suite in suites {
        match run_suite_on(&suite, engine, rego) {
            Ok(mut cases) => report.cases.append(&mut cases),
            Err(e) => report.errors.push(e),
        }
    }
    report
}

/// A YAML file holding a `kind: Suite` document.
fn is_suite(path: &Path) -> bool {
    has_extension(path, &["yaml", "yml"])
        && fs::read_to_string(path).is_ok_and(|text| looks_like_suite(&text))
}

/// A cheap first look before parsing: a `kind: Suite` line.
fn looks_like_suite(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim();
        l.strip_prefix("kind:")
            .is_some_and(|k| k.trim().trim_matches(['"', '\'']) == "Suite")
    })
}

/// Runs one suite file.
pub fn run_suite(path: &Path) -> Result<Vec<CaseResult>, String> {
    run_suite_with(path, EngineChoice::Auto)
}

/// [`run_suite`] with the engine choice of [`run_paths_with`].
pub fn run_suite_with(path: &Path, engine: EngineChoice) -> Result<Vec<CaseResult>, String> {
    run_suite_on(path, engine, RegoMode::Auto)
}

/// [`run_suite`] with the choices of [`run_paths_on`].
fn run_suite_on(
    path: &Path,
    engine: EngineChoice,
    rego: RegoMode,
) -> Result<Vec<CaseResult>, String> {
    let report = manifest::load_file(path);
    if let Some(e) = report.errors.first() {
        return Err(e.to_string());
    }
    let suite_name = path.display().to_string();
    let base = path.parent().unwrap_or(Path::new("."));
    let mut results = Vec::new();
    let suites: Vec<&Manifest> = report
        .objects
        .iter()
        .filter(|m| {
            m.kind() == Some("Suite")
                && m.api_version()
                    .is_some_and(|v| v.starts_with("test.gatekeeper.sh/"))
        })
        .collect();
    if suites.is_empty() {
        return Err(format!(
            "{suite_name}: no `kind: Suite` (`test.gatekeeper.sh`) document"
        ));
    }
    for suite in suites {
        let tests = suite
            .object
            .get("tests")
            .and_then(Json::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for (i, test) in tests.iter().enumerate() {
            let at = |field: &str| suite.locate(&format!("tests[{i}]{field}"));
            run_test(&suite_name, base, test, (engine, rego), &at, &mut results);
        }
    }
    Ok(results)
}

fn text<'a>(json: &'a Json, key: &str) -> &'a str {
    json.get(key).and_then(Json::as_str).unwrap_or_default()
}

/// Runs one test of a suite with the implementation and Rego evaluator
/// `engine` picks; `at` locates a field of the test (`.cases[0]`, the empty
/// path for the test itself).
fn run_test(
    suite: &str,
    base: &Path,
    test: &Json,
    engine: (EngineChoice, RegoMode),
    at: &dyn Fn(&str) -> Location,
    out: &mut Vec<CaseResult>,
) {
    let test_name = text(test, "name");
    let cases = test
        .get("cases")
        .and_then(Json::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let skip_test = test.get("skip").and_then(Json::as_bool) == Some(true);
    if !skip_test && test.get("invalid").and_then(Json::as_bool) == Some(true) {
        // The constraint must be refused; no case runs (as in gator).
        let (passed, detail) = match load_policy(base, test, engine) {
            Err(e) => (true, format!("refused as expected: {e}")),
            Ok(_) => (
                false,
                "the constraint was expected to be refused but loaded".to_owned(),
            ),
        };
        out.push(CaseResult {
            suite: suite.to_owned(),
            test: test_name.to_owned(),
            case: "(invalid constraint)".to_owned(),
            location: at(""),
            passed,
            detail,
            violations: Vec::new(),
            skipped: false,
        });
        return;
    }
    let policy = if skip_test {
        Err(LoadProblem::Failed("skipped".to_owned()))
    } else {
        load_policy(base, test, engine)
    };
    // A template without the forced engine: its cases are skipped, with why.
    let engine_missing = match &policy {
        Err(LoadProblem::EngineMissing(reason)) => Some(reason.as_str()),
        _ => None,
    };
    for (j, case) in cases.iter().enumerate() {
        let case_name = text(case, "name");
        let skipped = skip_test
            || engine_missing.is_some()
            || case.get("skip").and_then(Json::as_bool) == Some(true);
        let mut violations = Vec::new();
        let (passed, detail) = if let Some(reason) = engine_missing {
            (false, reason.to_owned())
        } else if skipped {
            (false, "skipped".to_owned())
        } else {
            match &policy {
                Ok(policy) => match run_case(base, policy, case, &mut violations) {
                    Ok(detail) => (true, detail),
                    Err(detail) => (false, detail),
                },
                Err(e) => (false, e.to_string()),
            }
        };
        out.push(CaseResult {
            suite: suite.to_owned(),
            test: test_name.to_owned(),
            case: case_name.to_owned(),
            location: at(&format!(".cases[{j}]")),
            passed,
            detail,
            violations,
            skipped,
        });
    }
}

/// Loads exactly one object from a file named by `key` of `json`.
fn load_single(base: &Path, json: &Json, key: &str) -> Result<Manifest, String> {
    let file = json
        .get(key)
        .and_then(Json::as_str)
        .ok_or_else(|| format!("`{key}` is missing"))?;
    let objects = load_objects(base, file)?;
    let count = objects.len();
    let mut objects = objects.into_iter();
    match (objects.next(), count) {
        (Some(object), 1) => Ok(object),
        _ => Err(format!(
            "`{key}` file `{file}` holds {count} objects; expected exactly 1"
        )),
    }
}

fn load_objects(base: &Path, file: &str) -> Result<Vec<Manifest>, String> {
    let report = manifest::load_file(&base.join(file));
    match report.errors.first() {
        Some(e) => Err(e.to_string()),
        None => Ok(report.objects),
    }
}

/// Why a test's policy is not there.
enum LoadProblem {
    /// The template lacks the forced engine: its cases are skipped.
    EngineMissing(String),
    /// The template or constraint could not be loaded: its cases fail.
    Failed(String),
}

impl std::fmt::Display for LoadProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadProblem::EngineMissing(m) | LoadProblem::Failed(m) => f.write_str(m),
        }
    }
}

fn load_policy(
    base: &Path,
    test: &Json,
    (engine, rego): (EngineChoice, RegoMode),
) -> Result<GatekeeperPolicy, LoadProblem> {
    let template = load_single(base, test, "template").map_err(LoadProblem::Failed)?;
    let mut template = ConstraintTemplate::from_manifest(&template)
        .map_err(|e| LoadProblem::Failed(e.to_string()))?;
    template.set_rego_mode(rego);
    let constraint = load_single(base, test, "constraint").map_err(LoadProblem::Failed)?;
    let constraint =
        Constraint::from_manifest(&constraint).map_err(|e| LoadProblem::Failed(e.to_string()))?;
    GatekeeperPolicy::bind_with(constraint, Arc::new(template), engine).map_err(|e| match e {
        GatekeeperError::EngineMissing(_) => LoadProblem::EngineMissing(e.to_string()),
        e => LoadProblem::Failed(e.to_string()),
    })
}

/// The request to review for one object of a case's `object` file.
fn request_of(manifest: &Manifest) -> Result<AdmissionRequest, String> {
    let is_review = manifest.kind() == Some("AdmissionReview")
        && manifest
            .api_version()
            .is_some_and(|v| v.starts_with("admission.k8s.io/"));
    if is_review {
        let request = AdmissionReview::parse(&manifest.object)
            .map(|r| r.request)
            .map_err(|e| e.to_string())?;
        if request.object.is_none() && request.old_object.is_none() {
            return Err(
                "the AdmissionRequest has neither `object` nor `oldObject` to review".to_owned(),
            );
        }
        Ok(request)
    } else {
        AdmissionRequest::from_object(manifest.object.clone()).map_err(|e| e.to_string())
    }
}

/// Runs one case; `Ok(detail)` when every assertion holds. The messages of
/// the violations found are left in `messages`.
fn run_case(
    base: &Path,
    policy: &GatekeeperPolicy,
    case: &Json,
    messages: &mut Vec<String>,
) -> Result<String, String> {
    let object_file = case
        .get("object")
        .and_then(Json::as_str)
        .ok_or("`object` is missing")?;
    let mut objects = load_objects(base, object_file)?;
    // The last object is reviewed; objects before it in the same file are
    // synced into the inventory (gator's reading of multi-document files).
    let Some(reviewed) = objects.pop() else {
        return Err(format!("`object` file `{object_file}` holds no object"));
    };
    let assertions = case
        .get("assertions")
        .and_then(Json::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if assertions.is_empty() {
        return Err("`assertions` must be non-empty".to_owned());
    }
    let mut context = Context::new();
    for object in objects {
        context.add_object(object.object);
    }
    if let Some(files) = case.get("inventory").and_then(Json::as_array) {
        for file in files {
            let file = file
                .as_str()
                .ok_or("`inventory` holds a value that is not a path")?;
            for object in load_objects(base, file)? {
                context.add_object(object.object);
            }
        }
    }
    let request = request_of(&reviewed)?;
    if policy.applies_to(&request, &context) {
        let found = policy
            .validate(&request, &context)
            .map_err(|e| e.to_string())?;
        messages.extend(found.into_iter().map(|v| v.message));
    }
    let mut failures = Vec::new();
    for (i, assertion) in assertions.iter().enumerate() {
        if let Err(e) = check_assertion(assertion, messages) {
            failures.push(format!("assertion {i}: {e}"));
        }
    }
    let found = if messages.is_empty() {
        "no violations".to_owned()
    } else {
        format!("{} violation(s): {}", messages.len(), messages.join(" | "))
    };
    if failures.is_empty() {
        Ok(found)
    } else {
        Err(format!("{}; found {found}", failures.join("; ")))
    }
}

/// What an assertion expects of the matching violations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expected {
    AtLeastOne,
    None,
    Exactly(u64),
}

fn check_assertion(assertion: &Json, messages: &[String]) -> Result<(), String> {
    let expected = match assertion.get("violations") {
        None | Some(Json::Null) => Expected::AtLeastOne,
        Some(Json::String(s)) if s == "yes" => Expected::AtLeastOne,
        Some(Json::String(s)) if s == "no" => Expected::None,
        Some(Json::Bool(true)) => Expected::AtLeastOne,
        Some(Json::Bool(false)) => Expected::None,
        Some(Json::Number(n)) if n.as_u64().is_some() => {
            Expected::Exactly(n.as_u64().unwrap_or_default())
        }
        Some(Json::String(s)) if s.parse::<u64>().is_ok() => {
            Expected::Exactly(s.parse().unwrap_or_default())
        }
        Some(other) => {
            return Err(format!(
                "`violations` `{other}` is not yes, no or a non-negative integer"
            ));
        }
    };
    let matching = match assertion.get("message").and_then(Json::as_str) {
        None => messages.len(),
        Some(pattern) => {
            let re = regex::Regex::new(pattern)
                .map_err(|e| format!("`message` `{pattern}` is not a valid regex: {e}"))?;
            messages.iter().filter(|m| re.is_match(m)).count()
        }
    };
    let what = assertion
        .get("message")
        .and_then(Json::as_str)
        .map(|m| format!(" matching `{m}`"))
        .unwrap_or_default();
    let ok = match expected {
        Expected::AtLeastOne => matching >= 1,
        Expected::None => matching == 0,
        Expected::Exactly(n) => u64::try_from(matching).is_ok_and(|m| m == n),
    };
    if ok {
        Ok(())
    } else {
        let wanted = match expected {
            Expected::AtLeastOne => "at least 1".to_owned(),
            Expected::None => "0".to_owned(),
            Expected::Exactly(n) => n.to_string(),
        };
        Err(format!(
            "expected {wanted} violation(s){what}, got {matching}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn assertions_follow_gator() {
        let msgs = vec!["container <a> is privileged".to_owned(), "other".to_owned()];
        assert!(check_assertion(&json!({}), &msgs).is_ok());
        assert!(check_assertion(&json!({"violations": "yes"}), &msgs).is_ok());
        assert!(check_assertion(&json!({"violations": "no"}), &msgs).is_err());
        assert!(check_assertion(&json!({"violations": 2}), &msgs).is_ok());
        assert!(check_assertion(&json!({"violations": 1, "message": "privileged"}), &msgs).is_ok());
        assert!(check_assertion(&json!({"violations": "no", "message": "^x"}), &msgs).is_ok());
        let err = check_assertion(&json!({"violations": 3}), &msgs).unwrap_err();
        assert_eq!(err, "expected 3 violation(s), got 2");
        assert!(check_assertion(&json!({"violations": "maybe"}), &msgs).is_err());
        assert!(check_assertion(&json!({"violations": "no"}), &[]).is_ok());
    }

    #[test]
    fn suites_are_recognised_by_kind() {
        assert!(looks_like_suite(
            "kind: Suite\napiVersion: test.gatekeeper.sh/v1alpha1\n"
        ));
        assert!(looks_like_suite("apiVersion: x\nkind: \"Suite\"\n"));
        assert!(!looks_like_suite("kind: SuiteCase\n"));
    }
}
