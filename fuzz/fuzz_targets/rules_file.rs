//! The rules-file loader (YAML, items, macros, lists, exceptions,
//! append/override, condition checks) and the compiler of the resolved
//! rules never panic on any text.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use palisade_runtime::fields::Schema;
use palisade_runtime::loader::Loader;
use palisade_runtime::ruleset::{RuleSet, RuleSpec};

fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(Schema::falco)
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let schema = schema();
    let mut loader = Loader::with_checker(schema);
    loader.add_str("fuzz.yaml", &text);
    let loaded = loader.finish();
    let mut builder = RuleSet::builder(schema.clone());
    for rule in loaded.rules.iter().filter(|r| r.enabled) {
        let mut spec = RuleSpec::new(rule.name.clone(), rule.condition.clone(), rule.priority);
        spec.output.clone_from(&rule.output);
        if builder.add(spec).is_err() {
            return;
        }
    }
    let _ = builder.build();
});
