//! `admission fix` on arbitrary manifest text: every object read is fixed
//! by the built-in remediation pack and written back into the text; nothing
//! panics, and a rewrite that succeeds reads back as the fixed objects
//! (`rewrite_file` checks it, so an `Ok` is the property).
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_admission::mutate::fix::{Fixer, fix_text};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let fixer = Fixer::with_pack(Vec::new());
    for name in ["fuzz.yaml", "fuzz.json"] {
        let _ = fix_text(&fixer, name, &text);
    }
});
