//! The committed `include/palisade.h` equals a fresh `cbindgen` generation.

use std::path::Path;

#[test]
fn committed_header_matches_a_fresh_generation() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).unwrap();
    let mut fresh = Vec::new();
    cbindgen::Builder::new()
        .with_crate(crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut fresh);
    let fresh = String::from_utf8(fresh).unwrap();
    // `PALISADE_BLESS=1 cargo test -p palisade-ffi --test header` rewrites it.
    if let Err(e) = palisade_testkit::bless::check(&crate_dir.join("include/palisade.h"), &fresh) {
        panic!("include/palisade.h is out of date with src/; commit the regenerated one\n{e}");
    }
}
