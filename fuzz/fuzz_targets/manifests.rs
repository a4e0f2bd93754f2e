//! Manifest loading never panics, hangs or blows up on any bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = palisade::manifest::load_reader("fuzz.yaml", data);
    let _ = palisade::manifest::load_reader("fuzz.json", data);
});
