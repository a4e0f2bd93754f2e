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
//! ```

use crate::{Finding, Layer};

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
}

/// The outcome of one evaluation, in the shared vocabulary.
pub trait Verdict {
    /// `true` when nothing was violated: the object is admitted, no rule
    /// fired, the flow is allowed.
    fn passed(&self) -> bool;

    /// What was found, as layer-independent findings.
    fn findings(&self) -> Vec<Finding>;
}
