//! Bad-input suite of the manifest loader: every malformed file under
//! `tests/bad_input/manifests/` gives the error in its `<case>.expected`
//! file (file, line and column), and nothing panics.

use palisade_core::manifest::load_reader;

#[test]
fn bad_manifests_are_errors_with_positions() {
    palisade_testkit::bad_input::run("tests/bad_input/manifests", |case| {
        let report = load_reader(&case.path_str(), case.bytes);
        report.errors.first().map(ToString::to_string)
    });
}
