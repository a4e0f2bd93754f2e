//! Replays `fuzz/regressions/mutate_policy/*` through the code path of the
//! `mutate_policy` fuzz target: each input is refused with a load error,
//! not a crash.

#[test]
fn mutate_policy_regressions_replay() {
    palisade_testkit::fuzz::replay_refused("regressions/mutate_policy", 2, |text| {
        palisade_admission::mutate::load_str("fuzz.yaml", text)
            .errors
            .len()
    });
}

/// Replays the `manifest_fix` fuzz target's seeds (`fuzz/seeds/manifest_fix`):
/// each is a manifest that needs fixing; its objects are fixed and the text
/// is written back (a rewrite is checked to read back as the fixed objects).
#[test]
fn manifest_fix_seeds_replay() {
    use palisade_admission::mutate::fix::{Fixer, fix_text};
    let fixer = Fixer::with_pack(Vec::new());
    palisade_testkit::fuzz::replay("seeds/manifest_fix", 3, |data| {
        let text = String::from_utf8_lossy(data);
        let fixed = fix_text(&fixer, "seed.yaml", &text);
        let rewritten = fixed.text.map_err(|e| e.to_string())?;
        if fixed.objects.iter().all(|(_, f)| f.changes.is_empty()) || rewritten.text == text {
            return Err("nothing was fixed".to_owned());
        }
        Ok(())
    });
}
