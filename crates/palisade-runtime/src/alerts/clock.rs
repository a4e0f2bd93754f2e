//! Time for the alert pipeline: an injectable [`Clock`], and the time
//! formats alerts use (RFC 3339 with nanoseconds, Falco's `evt.time`).

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Nanoseconds since the Unix epoch.
pub type Nanos = u64;

/// Where the pipeline reads the current time (dedup windows, rate limits,
/// summaries, the time of alerts whose event carries none).
pub trait Clock: Send + Sync {
    /// Now, in nanoseconds since the Unix epoch.
    fn now(&self) -> Nanos;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Nanos {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
    }
}

/// A clock that moves only when told: tests get exact times.
/// Clones share the same time.
#[derive(Debug, Clone, Default)]
pub struct FakeClock {
    now: Arc<AtomicU64>,
}

impl FakeClock {
    /// A clock showing `start` (nanoseconds since the epoch).
    pub fn new(start: Nanos) -> FakeClock {
        FakeClock {
            now: Arc::new(AtomicU64::new(start)),
        }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.now.fetch_add(by, Ordering::SeqCst);
    }

    /// Sets the clock to `at`.
    pub fn set(&self, at: Nanos) {
        self.now.store(at, Ordering::SeqCst);
    }
}

impl Clock for FakeClock {
    fn now(&self) -> Nanos {
        self.now.load(Ordering::SeqCst)
    }
}

/// Civil date (year, month, day) of a day count since 1970-01-01
/// (H. Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    (
        y,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

/// Splits `t` into (days since epoch, seconds of day, nanoseconds).
fn split(t: Nanos) -> (i64, u64, u64) {
    let secs = t / 1_000_000_000;
    let nanos = t % 1_000_000_000;
    (
        i64::try_from(secs / 86_400).unwrap_or(0),
        secs % 86_400,
        nanos,
    )
}

/// `2024-05-01T10:20:05.408091526Z` (RFC 3339, UTC, nanoseconds), the
/// `time` of an alert in Falco's JSON.
pub fn rfc3339(t: Nanos, out: &mut String) {
    let (days, sod, nanos) = split(t);
    let (y, m, d) = civil(days);
    let _ = write!(
        out,
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{nanos:09}Z",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    );
}

/// `10:20:05.408091526` (UTC), Falco's `%evt.time`.
pub fn time_of_day(t: Nanos, out: &mut String) {
    let (_, sod, nanos) = split(t);
    let _ = write!(
        out,
        "{:02}:{:02}:{:02}.{nanos:09}",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    );
}

/// `2024-05-01 10:20:05.408091526` (UTC), Falco's `%evt.datetime`.
pub fn date_time(t: Nanos, out: &mut String) {
    let (days, sod, nanos) = split(t);
    let (y, m, d) = civil(days);
    let _ = write!(
        out,
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{nanos:09}",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_times() {
        // 2024-05-01T10:20:05.408091526Z
        let t = 1_714_558_805_408_091_526;
        let mut s = String::new();
        rfc3339(t, &mut s);
        assert_eq!(s, "2024-05-01T10:20:05.408091526Z");
        s.clear();
        time_of_day(t, &mut s);
        assert_eq!(s, "10:20:05.408091526");
        s.clear();
        date_time(0, &mut s);
        assert_eq!(s, "1970-01-01 00:00:00.000000000");
        s.clear();
        rfc3339(951_782_400_000_000_000, &mut s);
        assert_eq!(s, "2000-02-29T00:00:00.000000000Z");
    }

    #[test]
    fn fake_clock_moves_when_told() {
        let clock = FakeClock::new(5);
        let shared = clock.clone();
        clock.advance(Duration::from_nanos(10));
        assert_eq!(shared.now(), 15);
        shared.set(3);
        assert_eq!(clock.now(), 3);
    }
}
