//! The traits every layer's compiled program implements.
//!
//! Every layer has the same shape: **load -> compile once -> evaluate many
//! times**. The compiled program is immutable, `Send + Sync` and cheap to
//! share behind an `Arc`; evaluation takes one input and a per-thread
//! scratch space that the caller owns, so that the hot path allocates nothing
//! and threads never contend (the model is `regex`'s `Regex` + `Cache`).
//!
//! ```
//! use palisade_core::{Engine, Finding, Layer, Severity, Verdict};
//!
//! /// A toy engine: denies names longer than a limit.
//! struct MaxLen(usize);
//!
//! struct LenVerdict { name: String, too_long: bool }
//!
//! impl Verdict for LenVerdict {
//!     fn passed(&self) -> bool { !self.too_long }
//!     fn findings(&self) -> Vec<Finding> {
//!         if self.too_long {
//!             vec![Finding::new(Layer::Admission, "max-len", Severity::Error, format!("`{}` is too long", self.name))]
//!         } else {
//!             Vec::new()
//!         }
//!     }
//! }
//!
//! impl Engine for MaxLen {
//!     type Input = str;
//!     type Verdict = LenVerdict;
//!     type Scratch = ();
//!     fn layer(&self) -> Layer { Layer::Admission }
//!     fn scratch(&self) -> Self::Scratch {}
//!     fn evaluate(&self, _: &mut (), name: &str) -> LenVerdict {
//!         LenVerdict { name: name.to_owned(), too_long: name.len() > self.0 }
//!     }
//! }
//!
//! let engine = MaxLen(5);
//! let mut scratch = engine.scratch();
//! assert!(engine.evaluate(&mut scratch, "web").passed());
//! assert_eq!(engine.evaluate(&mut scratch, "web-frontend").findings().len(), 1);
//! // The report's path: audit, then every input.
//! let names = ["web", "web-frontend", "database-primary"];
//! assert_eq!(engine.run(names.iter().copied()).findings.len(), 2);
//! ```
//!
//! `palisade::Palisade::report` drives every layer through
//! [`Engine::run`]: the admission engine audits the inventory, the runtime
//! engine evaluates events, the network resolver audits its policies; the
//! findings and coverage rows land in one report.

use crate::{Audit, Finding, Layer};

/// A compiled policy program: built once, evaluated many times, shared
/// across threads.
pub trait Engine: Send + Sync {
    /// What one evaluation looks at: an admission request, a system event,
    /// a network flow.
    type Input: ?Sized;
    /// What one evaluation decides.
    type Verdict: Verdict;
    /// Per-thread mutable state reused across evaluations (buffers, caches).
    /// Create one per thread with [`Engine::scratch`].
    type Scratch: Send;

    /// The layer this engine enforces.
    fn layer(&self) -> Layer;

    /// A fresh scratch space for one thread.
    fn scratch(&self) -> Self::Scratch;

    /// Evaluates one input.
    fn evaluate(&self, scratch: &mut Self::Scratch, input: &Self::Input) -> Self::Verdict;

    /// What the engine finds without new input, and each policy's
    /// coverage: admission audits the cluster objects it was given as
    /// context (as Gatekeeper's audit does), network audits its policies
    /// over its inventory. Nothing by default (a runtime ruleset only
    /// finds things in events).
    fn audit(&self) -> Audit {
        Audit::default()
    }

    /// The whole path a report takes through one layer: [`Engine::audit`],
    /// then every input evaluated in order on one scratch space, each
    /// verdict's findings appended.
    fn run<'a, I>(&self, inputs: I) -> Audit
    where
        I: IntoIterator<Item = &'a Self::Input>,
        Self::Input: 'a,
    {
        let mut audit = self.audit();
        let mut scratch = self.scratch();
        for input in inputs {
            audit
                .findings
                .extend(self.evaluate(&mut scratch, input).findings());
        }
        audit
    }
}

/// The outcome of one evaluation, in the shared vocabulary.
pub trait Verdict {
    /// `true` when nothing was violated: the object is admitted, no rule
    /// fired, the flow is allowed.
    fn passed(&self) -> bool;

    /// What was found, as layer-independent findings.
    fn findings(&self) -> Vec<Finding>;
}
