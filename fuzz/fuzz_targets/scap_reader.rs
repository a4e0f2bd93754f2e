//! The `.scap` reader never panics, hangs or allocates without bound: any
//! bytes (plain or gzip) open to a capture whose events all decode, or give
//! a located error; and the state kept over them (threads, descriptors,
//! containers) gives every shown event its fields. Small block limits keep
//! each input's memory low.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade::runtime::scap::{Capture, CaptureEvents, Limits};

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_block_len: 1 << 20,
    };
    let Ok(mut capture) = Capture::with_limits("fuzz.scap", data, limits) else {
        return;
    };
    while let Ok(Some(event)) = capture.next_event() {
        let _ = event.type_name();
        for param in event.params() {
            let _ = param.value();
        }
    }
    if let Ok(capture) = Capture::with_limits("fuzz.scap", data, limits) {
        let mut events = CaptureEvents::new(capture);
        while let Ok(Some(_)) = events.next_object() {}
    }
});
