//! The C ABI's JSON and YAML entry points never panic, never report a
//! caught panic and keep their contract (an error message exactly on
//! failure, out-pointers filled on success): any bytes, split at `0xFF`
//! into the text arguments of `palisade_admission_load_text`,
//! `palisade_admission_review`, `palisade_rules_new_from_text`,
//! `palisade_matcher_match_json`, `palisade_rules_field` +
//! `palisade_matcher_match`, `palisade_network_new_from_text` and
//! `palisade_network_check` (see `ffi_driver.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

mod ffi_driver;

fuzz_target!(|data: &[u8]| ffi_driver::run(data));
