//! Request bodies read whole up to a limit, as the webhook and the console
//! read them.

use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody as _};
use http_body_util::{BodyExt as _, LengthLimitError, Limited};

/// Why a body could not be read.
#[derive(Debug)]
pub enum BodyError {
    /// It is larger than the limit.
    TooLarge,
    /// The connection failed while reading it.
    Read(String),
    /// It did not arrive within the deadline.
    Slow,
}

/// Reads the whole body, up to `limit` bytes, within `deadline`. A body
/// over the limit is drained (up to twice the limit in all, for at most a
/// second) so the client reads the 413 instead of a reset connection.
pub async fn read_body(body: Body, limit: usize, deadline: Duration) -> Result<Bytes, BodyError> {
    tokio::time::timeout(deadline, read_limited(body, limit))
        .await
        .unwrap_or(Err(BodyError::Slow))
}

async fn read_limited(mut body: Body, limit: usize) -> Result<Bytes, BodyError> {
    let declared = usize::try_from(body.size_hint().lower()).unwrap_or(usize::MAX);
    if declared > limit {
        // Nothing read yet: the same total as a body found too large
        // while reading (the limit, then up to the limit more).
        drain(body, limit.saturating_mul(2)).await;
        return Err(BodyError::TooLarge);
    }
    // `Limited` counts the bytes; a body that arrives in one frame (the
    // usual case) comes out of `to_bytes` without a copy.
    match Limited::new(&mut body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<LengthLimitError>() => {
            drain(body, limit).await;
            Err(BodyError::TooLarge)
        }
        Err(e) => Err(BodyError::Read(e.to_string())),
    }
}

/// Discards what remains of a body, bounded in bytes and time.
async fn drain(mut body: Body, budget: usize) {
    let discard = async {
        let mut left = budget;
        while let Some(Ok(frame)) = body.frame().await {
            if let Ok(data) = frame.into_data() {
                if data.len() >= left {
                    break;
                }
                left -= data.len();
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), discard).await;
}
