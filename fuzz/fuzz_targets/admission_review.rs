//! AdmissionReview parsing and review never panic: any bytes either fail to
//! parse with an error or are reviewed by the built-in pack, a Gatekeeper
//! template + constraints (Rego through regorus) and a pattern policy.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use palisade_admission::builtin::BuiltinPack;
use palisade_admission::{AdmissionReview, Context, PolicySet};

fn policies() -> &'static PolicySet {
    static SET: OnceLock<PolicySet> = OnceLock::new();
    SET.get_or_init(|| {
        let mut set = BuiltinPack::default().policy_set();
        let template = include_str!("../../crates/palisade-cli/tests/fixtures/admission/policies/template.yaml");
        let constraints = include_str!("../../crates/palisade-cli/tests/fixtures/admission/policies/constraints.yaml");
        let mut manifests = palisade_core::manifest::load_str("template.yaml", template).objects;
        manifests.extend(palisade_core::manifest::load_str("constraints.yaml", constraints).objects);
        let loaded = palisade_admission::gatekeeper::load_manifests(&manifests);
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        for policy in loaded.policies {
            set.add(policy);
        }
        let pattern = palisade_admission::pattern::load_str("pattern.yaml", include_str!("../policies/pattern.yaml"));
        assert!(pattern.errors.is_empty(), "{:?}", pattern.errors);
        for policy in pattern.policies {
            set.add(policy);
        }
        set
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(review) = AdmissionReview::from_json_str(text) else {
        return;
    };
    let context = Context::new();
    let response = policies().review(&review.request, &context);
    let _ = review.response_json(&response);
    let _ = policies().evaluate(&review.request, &context).findings(&review.request);
});
