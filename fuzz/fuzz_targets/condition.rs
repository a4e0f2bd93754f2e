//! The condition parser and compiler never panic, hang or blow up: any text
//! either parses (and then compiles or gives a compile error) or gives a
//! parse error.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use palisade_core::Severity;
use palisade_runtime::fields::Schema;
use palisade_runtime::parser::parse;
use palisade_runtime::ruleset::{RuleSet, RuleSpec};

fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(Schema::falco)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(expr) = parse(text) else {
        return;
    };
    let mut builder = RuleSet::builder(schema().clone());
    if builder.add(RuleSpec::new("fuzz", expr, Severity::Notice)).is_ok() {
        let rules = builder.build();
        let _ = palisade_runtime::disasm::listing(&rules, None);
    }
});
