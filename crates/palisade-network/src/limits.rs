//! Bounds on what one set of network manifests may cost. All the limits of
//! Palisade are listed in `docs/limits.md`.

/// The most policies (of every kind, Cilium specs counted one by one) read
/// from one set of manifests; past it the rest are reported in
/// [`crate::Issues`] as errors and not applied. The resolver's work grows
/// with policies × identities, and its selector cache with their peers.
pub const MAX_POLICIES: usize = 20_000;
