//! The engine the harness drives, and the place where Palisade's runtime
//! plugs in.
//!
//! **Plug-in point.** Once `palisade_runtime` exposes a compiled ruleset,
//! replace the body of [`compile`] with its compiler and give [`Palisade`]
//! real fields (the compiled ruleset and a per-thread matcher), the
//! runtime's flat event as [`Engine::Event`] (decoded from
//! `<capture>.events.jsonl` by [`Engine::events`]), and an [`Engine::eval`]
//! that runs every compiled filter on one event. Nothing else in `benches/peers` changes:
//! `benches/peers/run` already builds and calls this binary and prints its
//! row (today as "not available yet").

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

/// Palisade's runtime engine. Uninhabited until the runtime exposes a
/// compiled ruleset, so no figure can be produced for it before then.
pub enum Palisade {}

/// Compiles `filters` (modern Falco syntax, the corpus's `filter` form)
/// with Palisade's runtime.
pub fn compile(filters: &[&str]) -> Result<Compiled<Palisade>, Unavailable> {
    let _ = filters;
    Err(Unavailable {
        reason: "`palisade_runtime` does not expose a compiled ruleset yet".to_owned(),
    })
}

impl Engine for Palisade {
    type Event = std::convert::Infallible;

    fn events(&self, _jsonl: &str) -> Result<Vec<Self::Event>, String> {
        match *self {}
    }

    fn eval(&mut self, event: &Self::Event, _hits: &mut [bool]) {
        match *event {}
    }
}
