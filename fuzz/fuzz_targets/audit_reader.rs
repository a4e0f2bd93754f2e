//! The audit event reader never panics, hangs or allocates without bound:
//! any bytes read as a Kubernetes audit log give events (every field of
//! which extracts) and errors located inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod audit_driver;

fuzz_target!(|data: &[u8]| {
    if let Err(message) = audit_driver::run(data) {
        panic!("{message}");
    }
});
