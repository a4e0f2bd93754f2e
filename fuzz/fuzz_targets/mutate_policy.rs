//! Mutate-policy loading never panics; every policy that loads is then
//! applied to a few fixed objects without panicking.
#![no_main]

mod kyverno;

use libfuzzer_sys::fuzz_target;
use palisade_admission::mutate;
use palisade_admission::pattern::PatternRequest;

fuzz_target!(|data: &[u8]| {
    let Some(policies) = kyverno::policies(data, |text| {
        let load = mutate::load_str("fuzz.yaml", text);
        (load.policies, load.errors)
    }) else {
        return;
    };
    for object in &kyverno::objects() {
        let outcome = mutate::mutate(&policies, &PatternRequest::create(object));
        for r in &outcome.rules {
            let _ = r.to_string();
        }
    }
});
