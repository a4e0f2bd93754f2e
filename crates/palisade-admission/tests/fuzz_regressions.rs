//! Replays `fuzz/regressions/{admission_review,pattern_policy}/*` through
//! the code paths of those fuzz targets: each input is refused with an
//! error, not a crash.

use palisade_admission::AdmissionReview;

#[test]
fn admission_review_regressions_replay() {
    palisade_testkit::fuzz::replay("regressions/admission_review", 1, |data| {
        let text = String::from_utf8_lossy(data);
        match AdmissionReview::from_json_str(&text) {
            Ok(_) => Err("accepted".to_owned()),
            Err(_) => Ok(()),
        }
    });
}

#[test]
fn pattern_policy_regressions_replay() {
    palisade_testkit::fuzz::replay("regressions/pattern_policy", 1, |data| {
        let text = String::from_utf8_lossy(data);
        let load = palisade_admission::pattern::load_str("fuzz.yaml", &text);
        if load.errors.is_empty() {
            return Err("loaded without an error".to_owned());
        }
        Ok(())
    });
}
