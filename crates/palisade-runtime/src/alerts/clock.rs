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

/// The UTC date and time of `t` (the calendar arithmetic is the `time`
/// crate's; every `u64` of nanoseconds is a date it can hold).
fn utc(t: Nanos) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(t))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// `2024-05-01T10:20:05.408091526Z` (RFC 3339, UTC, nanoseconds), the
/// `time` of an alert in Falco's JSON.
pub fn rfc3339(t: Nanos, out: &mut String) {
    date_time_with(t, 'T', out);
    out.push('Z');
}

/// `10:20:05.408091526` (UTC), Falco's `%evt.time`.
pub fn time_of_day(t: Nanos, out: &mut String) {
    let d = utc(t);
    let _ = write!(
        out,
        "{:02}:{:02}:{:02}.{:09}",
        d.hour(),
        d.minute(),
        d.second(),
        d.nanosecond()
    );
}

/// `2024-05-01 10:20:05.408091526` (UTC), Falco's `%evt.datetime`.
pub fn date_time(t: Nanos, out: &mut String) {
    date_time_with(t, ' ', out);
}

/// The date, `separator`, and the time of day with nanoseconds.
fn date_time_with(t: Nanos, separator: char, out: &mut String) {
    let d = utc(t);
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}{separator}",
        d.year(),
        u8::from(d.month()),
        d.day()
    );
    time_of_day(t, out);
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
        s.clear();
        rfc3339(u64::MAX, &mut s);
        assert_eq!(s, "2554-07-21T23:34:33.709551615Z");
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
