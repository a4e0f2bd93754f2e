//! Replays `fuzz/regressions/{condition,rules_file}/*` through the code
//! paths of those fuzz targets: parse/compile and load/compile must end
//! with a result, not a crash.

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
    palisade_testkit::fuzz::replay("regressions/rules_file", 1, |data| {
        let mut loader = Loader::with_checker(&schema);
        loader.add_str("fuzz.yaml", &String::from_utf8_lossy(data));
        if loader.finish().errors.is_empty() {
            return Err("loaded without an error".to_owned());
        }
        Ok(())
    });
}
