//! Replays `fuzz/regressions/mutate_policy/*` through the code path of the
//! `mutate_policy` fuzz target: each input is refused with a load error,
//! not a crash.

#[test]
fn mutate_policy_regressions_replay() {
    palisade_testkit::fuzz::replay("regressions/mutate_policy", 2, |data| {
        let text = String::from_utf8_lossy(data);
        let load = palisade_admission::mutate::load_str("fuzz.yaml", &text);
        if load.errors.is_empty() {
            return Err("loaded without an error".to_owned());
        }
        Ok(())
    });
}
