//! Replays `fuzz/regressions/{condition,rules_file,scap_reader}/*` through
//! the code paths of those fuzz targets: parse/compile, load/compile and
//! reading a capture must end with a result, not a crash.

use palisade_core::Severity;
use palisade_runtime::fields::Schema;
use palisade_runtime::loader::Loader;
use palisade_runtime::parser::parse;
use palisade_runtime::ruleset::{RuleSet, RuleSpec};

#[test]
fn condition_regressions_replay() {
    let schema = Schema::falco();
    palisade_testkit::fuzz::replay("regressions/condition", 1, |data| {
        let Ok(text) = std::str::from_utf8(data) else {
            return Ok(());
        };
        if let Ok(expr) = parse(text) {
            let mut builder = RuleSet::builder(schema.clone());
            if builder
                .add(RuleSpec::new("fuzz", expr, Severity::Notice))
                .is_ok()
                && palisade_runtime::disasm::listing(&builder.build(), None).is_none()
            {
                return Err("compiled without a listing".to_owned());
            }
        }
        Ok(())
    });
}

#[test]
fn rules_file_regressions_replay() {
    let schema = Schema::falco();
    palisade_testkit::fuzz::replay_refused("regressions/rules_file", 1, |text| {
        let mut loader = Loader::with_checker(&schema);
        loader.add_str("fuzz.yaml", text);
        loader.finish().errors.len()
    });
}

#[test]
fn scap_reader_regressions_replay() {
    palisade_testkit::fuzz::replay("regressions/scap_reader", 2, |data| {
        let limits = palisade_runtime::scap::Limits {
            max_block_len: 1 << 20,
        };
        let Ok(mut capture) =
            palisade_runtime::scap::Capture::with_limits("fuzz.scap", data, limits)
        else {
            return Ok(());
        };
        while let Ok(Some(event)) = capture.next_event() {
            let _ = event.type_name();
            for param in event.params() {
                let _ = param.value();
            }
        }
        // The state and fields over the same bytes.
        if let Ok(capture) = palisade_runtime::scap::Capture::with_limits("fuzz.scap", data, limits)
        {
            let mut events = palisade_runtime::scap::CaptureEvents::new(capture);
            while let Ok(Some(_)) = events.next_object() {}
        }
        Ok(())
    });
}
