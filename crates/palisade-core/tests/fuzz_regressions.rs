//! Replays `fuzz/regressions/manifests/*` through the `manifests` fuzz
//! target's code path: loading must give a result, not a crash.

use palisade_core::manifest::load_reader;

#[test]
fn manifests_regressions_replay() {
    palisade_testkit::fuzz::replay("regressions/manifests", 1, |data| {
        let yaml = load_reader("fuzz.yaml", data);
        let json = load_reader("fuzz.json", data);
        if yaml.errors.is_empty() || json.errors.is_empty() {
            return Err("a nesting bomb loaded".to_owned());
        }
        Ok(())
    });
}
