//! Replays `fuzz/seeds/audit_reader/*` through the `audit_reader` fuzz
//! target's driver (included by path): each seed reads to events whose
//! every field extracts, and errors located inside the input.

#[path = "../../../fuzz/fuzz_targets/audit_driver.rs"]
mod audit_driver;

#[test]
fn audit_reader_seeds_replay() {
    palisade_testkit::fuzz::replay("seeds/audit_reader", 3, audit_driver::run);
}
