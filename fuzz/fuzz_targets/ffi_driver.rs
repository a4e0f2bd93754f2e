//! The driver of the `ffi` fuzz target, shared with the replay test
//! `crates/palisade-ffi/tests/fuzz_regressions.rs` (included there by path).
//!
//! An input is split at every `0xFF` byte (never part of UTF-8) into the
//! text arguments of the C ABI's entry points that take JSON or YAML; each
//! part is cut at its first NUL (a C string ends there) and may be any
//! other bytes, so invalid UTF-8 reaches the library too:
//!
//! | part | entry point |
//! |---|---|
//! | 0 | `palisade_admission_load_text` (policies, YAML or JSON) |
//! | 1 | `palisade_admission_review` (AdmissionReview JSON), on the fixture policies and on part 0's |
//! | 2 | `palisade_rules_new_from_text` (Falco rules YAML) |
//! | 3 | `palisade_matcher_match_json` (event JSON), on the fixture rules and on part 2's |
//! | 4 | `palisade_rules_field` (a field name), then `palisade_matcher_match` with part 3 as its value |
//! | 5 | `palisade_network_new_from_text` (manifests YAML or JSON) |
//! | 6, 7, 8 | `palisade_network_check` from, to and protocol, on the fixture cluster and on part 5's |
//! | 9 | its first two bytes: the port |
//!
//! Every call must return a status other than `PALISADE_STATUS_PANIC`, set
//! `*error` exactly when it fails, and fill its out-pointers when it
//! succeeds; every alert of a match must be readable.

use std::cell::RefCell;
use std::ffi::{CStr, CString, c_char};
use std::ptr;

use palisade_ffi::{
    PalisadeAdmission, PalisadeAlert, PalisadeMatcher, PalisadeNetwork, PalisadeRules,
    PalisadeStatus, PalisadeValue, PalisadeValueKind, palisade_admission_free,
    palisade_admission_load_text, palisade_admission_new, palisade_admission_policy_count,
    palisade_admission_review, palisade_matcher_alert, palisade_matcher_free,
    palisade_matcher_match, palisade_matcher_match_json, palisade_matcher_new,
    palisade_network_check, palisade_network_connlist_json, palisade_network_free,
    palisade_network_new_from_text, palisade_rules_count, palisade_rules_field,
    palisade_rules_free, palisade_rules_new_from_text, palisade_string_free,
};

/// The byte that separates the parts of an input.
pub const SEPARATOR: u8 = 0xFF;

/// The fixture policies (a template, its constraint and a pattern policy).
const POLICIES: &str = concat!(
    include_str!("../../examples/data/mixed/template-requiredlabels.yaml"),
    "\n---\n",
    include_str!("../../examples/data/mixed/constraint-owner.yaml"),
    "\n---\n",
    include_str!("../../examples/data/mixed/pattern-no-privileged.yaml"),
);
/// The fixture Falco rules.
const RULES: &str = include_str!("../../examples/data/mixed/falco-rules.yaml");
/// The fixture cluster (namespaces, workloads, network policies).
const CLUSTER: &str = include_str!("../../examples/data/cluster.yaml");

/// Checks a call's status and error message, frees the message, and says
/// whether the call succeeded.
fn checked(call: &str, status: PalisadeStatus, error: *mut c_char) -> bool {
    assert_ne!(
        status,
        PalisadeStatus::Panic,
        "{call} panicked: {}",
        message(error)
    );
    let ok = status == PalisadeStatus::Ok;
    assert_eq!(
        ok,
        error.is_null(),
        "{call}: status {status:?} with error `{}`",
        message(error)
    );
    if !error.is_null() {
        let text = message(error);
        assert!(!text.is_empty(), "{call}: an empty error message");
        // SAFETY: returned by the library, freed once.
        unsafe { palisade_string_free(error) };
    }
    ok
}

fn message(s: *const c_char) -> String {
    if s.is_null() {
        return String::new();
    }
    // SAFETY: a NUL-terminated string from the library.
    unsafe { CStr::from_ptr(s) }.to_string_lossy().into_owned()
}

/// Takes a string returned by the library: it must be UTF-8; it is freed.
fn take(s: *mut c_char, call: &str) -> String {
    assert!(!s.is_null(), "{call}: succeeded without its string");
    // SAFETY: a NUL-terminated string from the library.
    let text = unsafe { CStr::from_ptr(s) }.to_str().map(str::to_owned);
    // SAFETY: returned by the library, freed once.
    unsafe { palisade_string_free(s) };
    text.unwrap_or_else(|_| panic!("{call}: the returned string is not UTF-8"))
}

fn c(bytes: &[u8]) -> CString {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    CString::new(bytes.get(..end).unwrap_or_default()).unwrap_or_default()
}

/// Handles compiled from the fixtures once per thread.
struct Fixtures {
    admission: *mut PalisadeAdmission,
    rules: *mut PalisadeRules,
    matcher: *mut PalisadeMatcher,
    network: *mut PalisadeNetwork,
}

impl Fixtures {
    fn new() -> Fixtures {
        let mut error = ptr::null_mut();
        let mut admission = ptr::null_mut();
        let name = c(b"fixtures.yaml");
        let policies = c(POLICIES.as_bytes());
        // SAFETY: valid pointers for every argument.
        unsafe {
            assert!(checked(
                "new",
                palisade_admission_new(&mut admission, &mut error),
                error
            ));
            let s = palisade_admission_load_text(
                admission,
                name.as_ptr(),
                policies.as_ptr(),
                &mut error,
            );
            assert!(checked("load fixture policies", s, error));
        }
        let mut rules = ptr::null_mut();
        let mut matcher = ptr::null_mut();
        let text = c(RULES.as_bytes());
        // SAFETY: as above.
        unsafe {
            let s =
                palisade_rules_new_from_text(name.as_ptr(), text.as_ptr(), &mut rules, &mut error);
            assert!(checked("fixture rules", s, error));
            assert!(checked(
                "matcher",
                palisade_matcher_new(rules, &mut matcher, &mut error),
                error
            ));
        }
        let mut network = ptr::null_mut();
        let text = c(CLUSTER.as_bytes());
        // SAFETY: as above.
        unsafe {
            let s = palisade_network_new_from_text(
                name.as_ptr(),
                text.as_ptr(),
                &mut network,
                &mut error,
            );
            assert!(checked("fixture cluster", s, error));
        }
        Fixtures {
            admission,
            rules,
            matcher,
            network,
        }
    }
}

impl Drop for Fixtures {
    fn drop(&mut self) {
        // SAFETY: live handles made in `new`, freed once.
        unsafe {
            palisade_matcher_free(self.matcher);
            palisade_rules_free(self.rules);
            palisade_admission_free(self.admission);
            palisade_network_free(self.network);
        }
    }
}

thread_local! {
    static FIXTURES: RefCell<Option<Fixtures>> = const { RefCell::new(None) };
}

fn review(admission: *const PalisadeAdmission, json: &CString) {
    let mut error = ptr::null_mut();
    let mut response = ptr::null_mut();
    let mut allowed = false;
    // SAFETY: a live handle and valid pointers.
    let s = unsafe {
        palisade_admission_review(
            admission,
            json.as_ptr(),
            &mut response,
            &mut allowed,
            &mut error,
        )
    };
    if checked("palisade_admission_review", s, error) {
        let text = take(response, "palisade_admission_review");
        let value: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("response is not JSON: {e}"));
        assert_eq!(
            value
                .pointer("/response/allowed")
                .and_then(serde_json::Value::as_bool),
            Some(allowed),
            "{text}"
        );
    } else {
        assert!(response.is_null(), "a failed review returned a response");
    }
}

/// Matches `event` (JSON) and reads every alert.
fn match_json(matcher: *mut PalisadeMatcher, event: &CString) {
    let mut error = ptr::null_mut();
    let mut alerts = usize::MAX;
    // SAFETY: a live matcher used by this thread only; valid pointers.
    let s =
        unsafe { palisade_matcher_match_json(matcher, event.as_ptr(), &mut alerts, &mut error) };
    if checked("palisade_matcher_match_json", s, error) {
        read_alerts(matcher, alerts);
    }
}

fn read_alerts(matcher: *mut PalisadeMatcher, count: usize) {
    let mut error = ptr::null_mut();
    for index in 0..=count {
        let mut alert = PalisadeAlert {
            rule: ptr::null(),
            priority: palisade_ffi::PalisadeSeverity::Debug,
            output: ptr::null(),
        };
        // SAFETY: a live matcher; valid pointers.
        let s = unsafe { palisade_matcher_alert(matcher, index, &mut alert, &mut error) };
        let ok = checked("palisade_matcher_alert", s, error);
        assert_eq!(ok, index < count, "alert {index} of {count}");
        if ok {
            assert!(!alert.rule.is_null() && !alert.output.is_null());
            let _ = message(alert.rule);
            let _ = message(alert.output);
        }
    }
}

/// Resolves field `name` on `rules`, then matches an event giving it
/// `value` (as a string and as a number) with `evt.type` = `execve`.
fn match_pairs(
    rules: *const PalisadeRules,
    matcher: *mut PalisadeMatcher,
    name: &CString,
    value: &CString,
) {
    let mut error = ptr::null_mut();
    let mut field = u32::MAX;
    let mut evt_type = u32::MAX;
    let evt_type_name = c(b"evt.type");
    let execve = c(b"execve");
    // SAFETY: a live handle; valid pointers.
    unsafe {
        let s = palisade_rules_field(rules, name.as_ptr(), &mut field, &mut error);
        if !checked("palisade_rules_field", s, error) {
            return;
        }
        let s = palisade_rules_field(rules, evt_type_name.as_ptr(), &mut evt_type, &mut error);
        assert!(checked("palisade_rules_field evt.type", s, error));
    }
    let number = i64::try_from(value.as_bytes().len()).unwrap_or(0) - 3;
    for kind in [
        PalisadeValueKind::Str,
        PalisadeValueKind::Int,
        PalisadeValueKind::Uint,
        PalisadeValueKind::Bool,
    ] {
        let values = [
            PalisadeValue {
                field: evt_type,
                kind: PalisadeValueKind::Str,
                str: execve.as_ptr(),
                num: 0,
            },
            PalisadeValue {
                field,
                kind,
                str: value.as_ptr(),
                num: number,
            },
        ];
        let mut alerts = usize::MAX;
        // SAFETY: a live matcher used by this thread only; two valid values.
        let s = unsafe {
            palisade_matcher_match(
                matcher,
                values.as_ptr(),
                values.len(),
                &mut alerts,
                &mut error,
            )
        };
        if checked("palisade_matcher_match", s, error) {
            read_alerts(matcher, alerts);
        }
    }
    // An unknown field id is refused.
    let bad = [PalisadeValue {
        field: u32::MAX,
        kind: PalisadeValueKind::Int,
        str: ptr::null(),
        num: 0,
    }];
    let mut alerts = 0;
    // SAFETY: as above.
    let s = unsafe { palisade_matcher_match(matcher, bad.as_ptr(), 1, &mut alerts, &mut error) };
    assert!(!checked("palisade_matcher_match unknown id", s, error));
}

fn check_flows(
    network: *const PalisadeNetwork,
    from: &CString,
    to: &CString,
    protocol: &CString,
    port: u16,
) {
    let mut error = ptr::null_mut();
    let tcp = c(b"TCP");
    let outside = c(b"10.1.2.3");
    for (a, b, p) in [
        (from, to, protocol),
        (from, to, &tcp),
        (from, &outside, &tcp),
        (&outside, to, &tcp),
    ] {
        let mut allowed = false;
        let mut explanation = ptr::null_mut();
        // SAFETY: a live handle; valid pointers.
        let s = unsafe {
            palisade_network_check(
                network,
                a.as_ptr(),
                b.as_ptr(),
                p.as_ptr(),
                port,
                &mut allowed,
                &mut explanation,
                &mut error,
            )
        };
        if checked("palisade_network_check", s, error) {
            let text = take(explanation, "palisade_network_check");
            let value: serde_json::Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("explanation is not JSON: {e}"));
            assert_eq!(
                value.get("allowed").and_then(serde_json::Value::as_bool),
                Some(allowed),
                "{text}"
            );
        } else {
            assert!(
                explanation.is_null(),
                "a failed check returned an explanation"
            );
        }
    }
}

/// Runs one input through the C ABI.
pub fn run(data: &[u8]) {
    let parts: Vec<CString> = data.split(|&b| b == SEPARATOR).map(c).collect();
    let empty = CString::default();
    let part = |i: usize| parts.get(i).unwrap_or(&empty);
    let name = c(b"fuzz.yaml");
    let mut error = ptr::null_mut();
    FIXTURES.with(|cell| {
        let mut fixtures = cell.borrow_mut();
        let fixtures = fixtures.get_or_insert_with(Fixtures::new);

        // Admission: policies from part 0, the review of part 1 by both.
        let mut admission = ptr::null_mut();
        // SAFETY: valid pointers; the handle is freed below.
        unsafe {
            assert!(checked(
                "palisade_admission_new",
                palisade_admission_new(&mut admission, &mut error),
                error
            ));
            let s = palisade_admission_load_text(
                admission,
                name.as_ptr(),
                part(0).as_ptr(),
                &mut error,
            );
            let loaded = checked("palisade_admission_load_text", s, error);
            let mut count = usize::MAX;
            let s = palisade_admission_policy_count(admission, &mut count, &mut error);
            assert!(checked("palisade_admission_policy_count", s, error));
            // On an error nothing is added.
            assert!(loaded || count == 0, "a failed load added {count} policies");
        }
        review(fixtures.admission, part(1));
        review(admission, part(1));
        // SAFETY: made above, freed once.
        unsafe { palisade_admission_free(admission) };

        // Runtime: rules from part 2, the event of part 3 by both.
        match_json(fixtures.matcher, part(3));
        match_pairs(fixtures.rules, fixtures.matcher, part(4), part(3));
        let mut rules = ptr::null_mut();
        // SAFETY: valid pointers.
        let s = unsafe {
            palisade_rules_new_from_text(name.as_ptr(), part(2).as_ptr(), &mut rules, &mut error)
        };
        if checked("palisade_rules_new_from_text", s, error) {
            assert!(!rules.is_null());
            let mut matcher = ptr::null_mut();
            let mut count = usize::MAX;
            // SAFETY: a live handle; valid pointers; both freed once below.
            unsafe {
                assert!(checked(
                    "palisade_rules_count",
                    palisade_rules_count(rules, &mut count, &mut error),
                    error
                ));
                assert!(checked(
                    "palisade_matcher_new",
                    palisade_matcher_new(rules, &mut matcher, &mut error),
                    error
                ));
            }
            match_json(matcher, part(3));
            match_pairs(rules, matcher, part(4), part(3));
            // SAFETY: made above, freed once.
            unsafe {
                palisade_matcher_free(matcher);
                palisade_rules_free(rules);
            }
        } else {
            assert!(rules.is_null(), "a failed compile returned a handle");
        }

        // Network: manifests from part 5, flows of parts 6-9 on both.
        let port = match data.split(|&b| b == SEPARATOR).nth(9) {
            Some([a, b, ..]) => u16::from_le_bytes([*a, *b]),
            Some([a]) => u16::from(*a),
            _ => 80,
        };
        check_flows(fixtures.network, part(6), part(7), part(8), port);
        let mut network = ptr::null_mut();
        // SAFETY: valid pointers.
        let s = unsafe {
            palisade_network_new_from_text(
                name.as_ptr(),
                part(5).as_ptr(),
                &mut network,
                &mut error,
            )
        };
        if checked("palisade_network_new_from_text", s, error) {
            check_flows(network, part(6), part(7), part(8), port);
            let mut json = ptr::null_mut();
            // SAFETY: a live handle; valid pointers.
            let s = unsafe { palisade_network_connlist_json(network, &mut json, &mut error) };
            if checked("palisade_network_connlist_json", s, error) {
                let text = take(json, "palisade_network_connlist_json");
                let _: serde_json::Value = serde_json::from_str(&text)
                    .unwrap_or_else(|e| panic!("connlist is not JSON: {e}"));
            }
            // SAFETY: made above, freed once.
            unsafe { palisade_network_free(network) };
        } else {
            assert!(network.is_null(), "a failed load returned a handle");
        }
    });
}
