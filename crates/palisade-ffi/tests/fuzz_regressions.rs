//! Replays the `ffi` fuzz target's seed corpus (`fuzz/seeds/ffi`) and its
//! regression inputs (`fuzz/regressions/ffi`, when there are any) through
//! the target's own driver (`fuzz/fuzz_targets/ffi_driver.rs`, included by
//! path): every call keeps the C ABI's contract and none reports a panic.
#![allow(clippy::panic, reason = "a failing test is the point")]
#![allow(
    unsafe_code,
    reason = "the driver calls the C ABI's exported functions with raw pointers"
)]

#[path = "../../../fuzz/fuzz_targets/ffi_driver.rs"]
mod ffi_driver;

#[test]
fn seed_corpus_replays_through_the_c_abi() {
    palisade_testkit::fuzz::replay("seeds/ffi", 10, |data| {
        if data.iter().filter(|&&b| b == ffi_driver::SEPARATOR).count() < 9 {
            return Err("does not fill every part".to_owned());
        }
        ffi_driver::run(data);
        Ok(())
    });
}

#[test]
fn regression_inputs_replay_through_the_c_abi() {
    palisade_testkit::fuzz::replay("regressions/ffi", 1, |data| {
        ffi_driver::run(data);
        Ok(())
    });
}

#[test]
fn hostile_parts_are_refused_with_errors() {
    // Invalid UTF-8, truncated JSON/YAML, nesting bombs, wrong types.
    let deep = "[".repeat(100_000);
    let parts: [&[u8]; 10] = [
        b"\xc3\x28 not utf-8",
        deep.as_bytes(),
        b"- rule: r\n  condition: (((",
        b"{\"evt.type\": ",
        b"proc.aname[",
        b"kind: NetworkPolicy\nspec: [",
        b"shop/web",
        b"nope/nope",
        b"ICMP",
        b"\x50\x00",
    ];
    ffi_driver::run(&parts.join(&ffi_driver::SEPARATOR));
}
