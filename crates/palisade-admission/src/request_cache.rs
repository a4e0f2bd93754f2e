//! What the policies of one set would each derive from the same request:
//! built on first use and shared by every policy [`crate::PolicySet`]
//! evaluates on that request, so a pack of Gatekeeper templates converts
//! the request into `input.review` once instead of once per template.

use std::sync::OnceLock;

/// Values derived from one request under one [`crate::Context`], each
/// built the first time a policy asks for it. Valid for that request and
/// context only: [`crate::PolicySet::evaluate`] makes a new one per call.
#[derive(Debug, Default)]
pub struct RequestCache {
    /// Gatekeeper's `input.review` (with `_unstable.namespace`).
    pub(crate) rego_review: OnceLock<regorus::Value>,
}

impl RequestCache {
    /// An empty cache, for one request.
    pub fn new() -> RequestCache {
        RequestCache::default()
    }
}
