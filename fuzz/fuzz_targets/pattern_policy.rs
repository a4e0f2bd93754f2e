//! Pattern-policy loading never panics; every policy that loads is then
//! evaluated on a few fixed objects without panicking.
#![no_main]

mod kyverno;

use libfuzzer_sys::fuzz_target;
use palisade_admission::pattern::PatternRequest;

fuzz_target!(|data: &[u8]| {
    let Some(policies) = kyverno::policies(data, |text| {
        let load = palisade_admission::pattern::load_str("fuzz.yaml", text);
        (load.policies, load.errors)
    }) else {
        return;
    };
    for object in &kyverno::objects() {
        let request = PatternRequest::create(object);
        for policy in &policies {
            if policy.applies_to(&request) {
                let _ = policy.evaluate(&request);
            }
        }
    }
});
