//! Which rules run: minimum priority, rules enabled or disabled by name
//! (exact or glob) and by tag, as Falco's `-t`/`-T`/`-D` options and its
//! `rules:` configuration, and the matching mode (`first`/`all`).
//!
//! A [`Selection`] is applied to a compiled [`RuleSet`] without recompiling
//! it: it becomes an [`Active`] set (the enabled rules per event type) that
//! a [`SelectionHandle`] swaps atomically while matchers keep running; each
//! [`SelectingMatcher`] picks the new set up before its next event.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use palisade_core::Severity;

use crate::compile::glob::Glob;
use crate::event::Event;
use crate::ruleset::{MatchMode, Matcher, Rule, RuleSet};

/// One step of a selection, applied in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Enable the rules whose name matches (exact, or a glob with `*`, `?`, `[...]`).
    EnableRule(String),
    /// Disable the rules whose name matches (Falco's `-D`).
    DisableRule(String),
    /// Enable the rules that have this tag.
    EnableTag(String),
    /// Disable the rules that have this tag (Falco's `-T`).
    DisableTag(String),
}

/// Which rules run and how many fire per event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// Rules below this priority never run (Falco's `priority` option).
    pub min_priority: Severity,
    /// When not empty, only rules with one of these tags start enabled
    /// (Falco's `-t`); the [`Step`]s apply after.
    pub only_tags: Vec<String>,
    /// Enable/disable steps, applied in order.
    pub steps: Vec<Step>,
    /// `first` (Falco's default) or `all` matching rules per event.
    pub mode: MatchMode,
    /// The event source matched (`syscall`); rules of other sources never run.
    pub source: String,
}

impl Default for Selection {
    fn default() -> Selection {
        Selection {
            min_priority: Severity::Debug,
            only_tags: Vec::new(),
            steps: Vec::new(),
            mode: MatchMode::First,
            source: "syscall".to_owned(),
        }
    }
}

/// A rule name pattern: exact, or a glob when it has `*`, `?` or `[`.
fn name_matches(pattern: &str, name: &str) -> bool {
    if pattern.contains(['*', '?', '[']) {
        Glob::new(pattern, false).is_match(name.as_bytes())
    } else {
        pattern == name
    }
}

impl Selection {
    /// Whether `rule` runs under this selection.
    pub fn enables(&self, rule: &Rule) -> bool {
        if rule.priority < self.min_priority || rule.source != self.source {
            return false;
        }
        let has_tag = |tag: &str| rule.tags.iter().any(|t| t == tag);
        let mut on = self.only_tags.is_empty() || self.only_tags.iter().any(|t| has_tag(t));
        for step in &self.steps {
            match step {
                Step::EnableRule(p) if name_matches(p, &rule.name) => on = true,
                Step::DisableRule(p) if name_matches(p, &rule.name) => on = false,
                Step::EnableTag(t) if has_tag(t) => on = true,
                Step::DisableTag(t) if has_tag(t) => on = false,
                _ => {}
            }
        }
        on
    }

    /// The active set of `rules` under this selection.
    pub fn apply(&self, rules: &RuleSet) -> Active {
        let enabled: Vec<bool> = rules.rules().iter().map(|r| self.enables(r)).collect();
        let count = rules.schema().event_type_count();
        let index = (0..count)
            .map(|code| {
                let code = u16::try_from(code).unwrap_or(0);
                rules
                    .rules()
                    .iter()
                    .zip(&enabled)
                    .enumerate()
                    .filter(|(_, (r, on))| **on && rules.runs_on(r, code))
                    .map(|(i, _)| u32::try_from(i).unwrap_or(u32::MAX))
                    .collect::<Vec<u32>>()
                    .into_boxed_slice()
            })
            .collect();
        Active {
            enabled,
            index,
            mode: self.mode,
        }
    }
}

/// A selection applied to a ruleset: the enabled rules per event type.
#[derive(Debug, Clone)]
pub struct Active {
    enabled: Vec<bool>,
    index: Vec<Box<[u32]>>,
    mode: MatchMode,
}

impl Active {
    /// Whether the rule at `index` of the ruleset runs.
    pub fn is_enabled(&self, index: usize) -> bool {
        self.enabled.get(index).copied().unwrap_or(false)
    }

    /// How many rules run.
    pub fn enabled_count(&self) -> usize {
        self.enabled.iter().filter(|&&on| on).count()
    }

    /// The matching mode.
    pub fn mode(&self) -> MatchMode {
        self.mode
    }
}

#[derive(Debug)]
struct Shared {
    rules: RuleSet,
    generation: AtomicU64,
    current: Mutex<(Selection, Arc<Active>)>,
}

/// Changes the selection of running matchers; clone it to any thread.
#[derive(Debug, Clone)]
pub struct SelectionHandle {
    shared: Arc<Shared>,
}

impl SelectionHandle {
    /// A handle selecting from `rules`.
    pub fn new(rules: RuleSet, selection: Selection) -> SelectionHandle {
        let active = Arc::new(selection.apply(&rules));
        SelectionHandle {
            shared: Arc::new(Shared {
                rules,
                generation: AtomicU64::new(0),
                current: Mutex::new((selection, active)),
            }),
        }
    }

    /// Replaces the selection: matchers use it from their next event on.
    /// The ruleset is not recompiled.
    pub fn set(&self, selection: Selection) {
        let active = Arc::new(selection.apply(&self.shared.rules));
        let mut current = self
            .shared
            .current
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *current = (selection, active);
        self.shared.generation.fetch_add(1, Ordering::Release);
    }

    /// Changes the selection with `change` (for example lowers the minimum
    /// priority) and applies it.
    pub fn update(&self, change: impl FnOnce(&mut Selection)) {
        let mut selection = self.selection();
        change(&mut selection);
        self.set(selection);
    }

    /// The current selection.
    pub fn selection(&self) -> Selection {
        self.shared
            .current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .0
            .clone()
    }

    /// The current active set.
    pub fn active(&self) -> Arc<Active> {
        Arc::clone(
            &self
                .shared
                .current
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .1,
        )
    }

    /// The ruleset selected from.
    pub fn rules(&self) -> &RuleSet {
        &self.shared.rules
    }

    /// A matcher for one thread, following this handle's selection.
    pub fn matcher(&self) -> SelectingMatcher {
        SelectingMatcher {
            handle: self.clone(),
            generation: self.shared.generation.load(Ordering::Acquire),
            active: self.active(),
            scratch: self.shared.rules.matcher(),
            hits: Vec::new(),
        }
    }
}

/// A per-thread matcher that runs only the selected rules. Allocates
/// nothing per event once warm.
#[derive(Debug)]
pub struct SelectingMatcher {
    handle: SelectionHandle,
    generation: u64,
    active: Arc<Active>,
    scratch: Matcher,
    hits: Vec<u32>,
}

impl SelectingMatcher {
    /// Indexes (in [`RuleSet::rules`]) of the selected rules `event`
    /// fires: the first one in rules-file order under
    /// [`MatchMode::First`], all of them under [`MatchMode::All`].
    pub fn matches<E: Event + ?Sized>(&mut self, event: &E) -> &[u32] {
        let generation = self.handle.shared.generation.load(Ordering::Acquire);
        if generation != self.generation {
            self.generation = generation;
            self.active = self.handle.active();
        }
        let first = self.active.mode == MatchMode::First;
        let ids = self
            .active
            .index
            .get(usize::from(event.event_code()))
            .map_or(&[][..], |ids| &ids[..]);
        let hits = self.scratch.matches_among(event, ids, first);
        self.hits.clear();
        self.hits.extend_from_slice(hits);
        &self.hits
    }

    /// The hits of the last [`SelectingMatcher::matches`] call.
    pub fn last_hits(&self) -> &[u32] {
        &self.hits
    }

    /// The ruleset matched.
    pub fn rules(&self) -> &RuleSet {
        &self.handle.shared.rules
    }

    /// The handle that changes this matcher's selection.
    pub fn handle(&self) -> &SelectionHandle {
        &self.handle
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::FlatEvents;
    use crate::fields::Schema;
    use crate::parser::parse;
    use crate::ruleset::RuleSpec;

    fn rules() -> RuleSet {
        let mut builder = RuleSet::builder(Schema::falco());
        builder.mode(MatchMode::All);
        for (name, prio, tags) in [
            ("shell a", Severity::Notice, vec!["shell", "container"]),
            ("shell b", Severity::Warning, vec!["shell"]),
            ("net c", Severity::Critical, vec!["network"]),
        ] {
            let mut spec = RuleSpec::new(name, parse("evt.type = execve").unwrap(), prio);
            spec.tags = tags.into_iter().map(String::from).collect();
            builder.add(spec).unwrap();
        }
        builder.build()
    }

    fn fired(m: &mut SelectingMatcher) -> Vec<String> {
        let events = FlatEvents::parse(r#"{"evt.type":"execve"}"#, m.rules().schema()).unwrap();
        let rules = m.rules().clone();
        m.matches(&events.events()[0])
            .iter()
            .map(|&i| rules.rules()[i as usize].name.clone())
            .collect()
    }

    #[test]
    fn priority_tags_names_and_mode() {
        let handle = SelectionHandle::new(rules(), Selection::default());
        let mut m = handle.matcher();
        assert_eq!(fired(&mut m), ["shell a"]);
        handle.update(|s| s.mode = MatchMode::All);
        assert_eq!(fired(&mut m), ["shell a", "shell b", "net c"]);
        handle.update(|s| s.min_priority = Severity::Warning);
        assert_eq!(fired(&mut m), ["shell b", "net c"]);
        handle.update(|s| {
            s.min_priority = Severity::Debug;
            s.only_tags = vec!["shell".into()];
        });
        assert_eq!(fired(&mut m), ["shell a", "shell b"]);
        handle.update(|s| s.steps = vec![Step::DisableTag("container".into())]);
        assert_eq!(fired(&mut m), ["shell b"]);
        handle.update(|s| {
            s.only_tags.clear();
            s.steps = vec![
                Step::DisableRule("shell *".into()),
                Step::EnableRule("shell b".into()),
            ];
        });
        assert_eq!(fired(&mut m), ["shell b", "net c"]);
        // `first` picks the first *selected* rule.
        handle.update(|s| s.mode = MatchMode::First);
        assert_eq!(fired(&mut m), ["shell b"]);
        assert_eq!(handle.active().enabled_count(), 2);
    }
}
