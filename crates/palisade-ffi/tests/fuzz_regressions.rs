//! Replays the `ffi` fuzz target's seed corpus (`fuzz/seeds/ffi`) and its
//! regression inputs (`fuzz/regressions/ffi`, when there are any) through
//! the target's own driver (`fuzz/fuzz_targets/ffi_driver.rs`, included by
//! path): every call keeps the C ABI's contract and none reports a panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test is the point"
)]
#![allow(
    unsafe_code,
    reason = "the driver calls the C ABI's exported functions with raw pointers"
)]

use std::path::{Path, PathBuf};

#[path = "../../../fuzz/fuzz_targets/ffi_driver.rs"]
mod ffi_driver;

fn inputs(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz")
        .join(dir);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    files.sort();
    files
}

#[test]
fn seed_corpus_replays_through_the_c_abi() {
    let seeds = inputs("seeds/ffi");
    assert!(
        seeds.len() >= 10,
        "only {} seeds in fuzz/seeds/ffi",
        seeds.len()
    );
    for file in seeds {
        let data = std::fs::read(&file).unwrap();
        assert!(
            data.iter().filter(|&&b| b == ffi_driver::SEPARATOR).count() >= 9,
            "{} does not fill every part",
            file.display()
        );
        ffi_driver::run(&data);
    }
}

#[test]
fn regression_inputs_replay_through_the_c_abi() {
    for file in inputs("regressions/ffi") {
        ffi_driver::run(&std::fs::read(&file).unwrap());
    }
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
