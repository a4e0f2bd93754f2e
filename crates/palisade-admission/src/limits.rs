//! Bounds on what one admission input may cost: the size of an
//! AdmissionReview, the nesting of a template's Rego and the wall-clock time
//! of one Rego evaluation. All the
//! limits of Palisade are listed in `docs/limits.md`.

use std::num::NonZeroU32;
use std::time::Duration;

/// The largest AdmissionReview body read, in bytes (the API server's own
/// request limit is 3 MiB; a review carries the object and the old object).
pub const MAX_REVIEW_BYTES: usize = 8 << 20;

/// The deepest nesting of `{` and `[` a template's Rego module may have
/// (the Gatekeeper library's templates nest at most 4): regorus's parser
/// takes time exponential in that nesting on some inputs, so deeper modules
/// are refused at load.
pub const MAX_REGO_NESTING: usize = 12;

/// The longest one Rego evaluation (one template on one request) may run;
/// past it the evaluation stops with an error, and the request is denied
/// as for any evaluation error.
pub const REGO_TIME_LIMIT: Duration = Duration::from_secs(2);

/// regorus's execution timer for [`REGO_TIME_LIMIT`], checking the clock
/// every 64 units of work.
pub(crate) fn rego_timer() -> regorus::utils::limits::ExecutionTimerConfig {
    regorus::utils::limits::ExecutionTimerConfig {
        limit: REGO_TIME_LIMIT,
        check_interval: NonZeroU32::new(64).unwrap_or(NonZeroU32::MIN),
    }
}
