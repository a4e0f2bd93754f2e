//! The engine the harness drives: Palisade's runtime.
//!
//! Every filter becomes one rule of a [`RuleSet`] in [`MatchMode::All`], so
//! one [`Matcher::matches`] call per event evaluates every filter through
//! the event-type index, as a Falco ruleset would be. Events are the
//! corpus's flat JSON (`<capture>.events.jsonl`) decoded by
//! [`FlatEvents::parse`] before timing starts.

use palisade::Severity;
use palisade::runtime::Schema;
use palisade::runtime::parse_condition;
use palisade::runtime::{FlatEvent, FlatEvents};
use palisade::runtime::{MatchMode, Matcher, RuleSet, RuleSpec};

/// An engine under test, as the harness drives it.
pub trait Engine {
    /// The engine's own form of one event, built before timing starts.
    type Event;

    /// Decodes the text of a `<capture>.events.jsonl` file (one JSON
    /// object per line) into one event per line, in order (not timed).
    fn events(&self, jsonl: &str) -> Result<Vec<Self::Event>, String>;

    /// Evaluates every compiled filter on `event` and sets `hits[i]` to
    /// whether filter `i` matches (this call is what the harness times).
    fn eval(&mut self, event: &Self::Event, hits: &mut [bool]);
}

/// A compiled filter set and the filters the engine rejected.
pub struct Compiled<E> {
    /// The engine, ready to evaluate.
    pub engine: E,
    /// `(index in the filter list, reason)` of each filter that did not
    /// compile; the harness counts them as disagreeing.
    pub rejected: Vec<(usize, String)>,
}

/// Why the engine cannot run.
#[derive(Debug)]
pub struct Unavailable {
    /// What is missing, for the run script's table.
    pub reason: String,
}

/// Palisade's runtime: the compiled filters and a matcher for this thread.
pub struct Palisade {
    matcher: Matcher,
    /// For each rule of the ruleset, in order, the index of its filter in
    /// the harness's list (rejected filters have no rule).
    filter_of_rule: Vec<usize>,
}

/// Compiles `filters` (modern Falco syntax, the corpus's `filter` form)
/// with Palisade's runtime.
pub fn compile(filters: &[&str]) -> Result<Compiled<Palisade>, Unavailable> {
    let mut builder = RuleSet::builder(Schema::falco());
    builder.mode(MatchMode::All);
    let mut rejected = Vec::new();
    let mut filter_of_rule = Vec::new();
    for (i, text) in filters.iter().enumerate() {
        let condition = match parse_condition(text) {
            Ok(condition) => condition,
            Err(e) => {
                rejected.push((i, e.to_string()));
                continue;
            }
        };
        match builder.add(RuleSpec::new(i.to_string(), condition, Severity::Notice)) {
            Ok(()) => filter_of_rule.push(i),
            Err(e) => rejected.push((i, e.to_string())),
        }
    }
    let ruleset = builder.build();
    Ok(Compiled {
        engine: Palisade {
            matcher: ruleset.matcher(),
            filter_of_rule,
        },
        rejected,
    })
}

impl Engine for Palisade {
    type Event = FlatEvent;

    fn events(&self, jsonl: &str) -> Result<Vec<Self::Event>, String> {
        FlatEvents::parse(jsonl, self.matcher.ruleset().schema())
            .map(FlatEvents::into_events)
            .map_err(|e| e.to_string())
    }

    fn eval(&mut self, event: &Self::Event, hits: &mut [bool]) {
        for &rule in self.matcher.matches(event).indexes() {
            if let Some(hit) = self
                .filter_of_rule
                .get(rule as usize)
                .and_then(|&filter| hits.get_mut(filter))
            {
                *hit = true;
            }
        }
    }
}
