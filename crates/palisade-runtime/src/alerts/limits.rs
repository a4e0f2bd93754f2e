//! Noise limits: a deduplication window and per-rule token buckets.
//! Both read time as nanoseconds from the pipeline's clock, so tests with a
//! [`FakeClock`](super::clock::FakeClock) get exact counts.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use super::clock::Nanos;

/// The most keys a [`Dedup`] remembers; past it, expired keys are swept,
/// and if none expired the memory is reset (more alerts may pass, never
/// fewer, and memory stays bounded).
pub const DEDUP_CAPACITY: usize = 1 << 16;

/// Suppresses an alert whose key was delivered less than a window ago.
#[derive(Debug, Clone)]
pub struct Dedup {
    window: Nanos,
    /// Key -> time its window opened (the delivered alert).
    seen: HashMap<u64, Nanos>,
}

impl Dedup {
    /// A dedup over `window`.
    pub fn new(window: Duration) -> Dedup {
        Dedup {
            window: u64::try_from(window.as_nanos()).unwrap_or(u64::MAX),
            seen: HashMap::new(),
        }
    }

    /// `true` when an alert with `key` at `now` is to be delivered (and
    /// opens a new window), `false` when it repeats one inside its window.
    pub fn admit(&mut self, key: u64, now: Nanos) -> bool {
        if let Some(&opened) = self.seen.get(&key)
            && now.saturating_sub(opened) < self.window
        {
            return false;
        }
        if self.seen.len() >= DEDUP_CAPACITY && !self.seen.contains_key(&key) {
            let window = self.window;
            self.seen.retain(|_, &mut t| now.saturating_sub(t) < window);
            if self.seen.len() >= DEDUP_CAPACITY {
                self.seen.clear();
            }
        }
        self.seen.insert(key, now);
        true
    }

    /// How many keys are remembered.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// `true` when no key is remembered.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

/// A rate: `alerts` per `per`, with bursts up to `burst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Alerts allowed per period.
    pub alerts: u32,
    /// The period.
    pub per: Duration,
    /// The most alerts let through at once (the bucket's size).
    pub burst: u32,
}

/// A rate limit could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("bad rate limit `{text}`: {reason}")]
#[diagnostic(
    code(palisade::runtime::alerts::rate_limit),
    help("write N/s, N/m or N/h, optionally with a burst: `10/s` or `100/m:20`")
)]
pub struct RateLimitParseError {
    /// The text given.
    pub text: String,
    /// What is wrong.
    pub reason: String,
}

impl FromStr for RateLimit {
    type Err = RateLimitParseError;

    /// `N/s`, `N/m`, `N/h` (burst N), or `N/UNIT:BURST`.
    fn from_str(text: &str) -> Result<RateLimit, RateLimitParseError> {
        let err = |reason: &str| RateLimitParseError {
            text: text.to_owned(),
            reason: reason.to_owned(),
        };
        let (rate, burst) = match text.split_once(':') {
            Some((r, b)) => (r, Some(b)),
            None => (text, None),
        };
        let (n, unit) = rate
            .split_once('/')
            .ok_or_else(|| err("missing `/` and unit"))?;
        let alerts: u32 = n
            .trim()
            .parse()
            .map_err(|_| err("the count is not a whole number"))?;
        if alerts == 0 {
            return Err(err("the count must be at least 1"));
        }
        let per = match unit.trim() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "m" | "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            _ => return Err(err("the unit must be `s`, `m` or `h`")),
        };
        let burst = match burst {
            Some(b) => b
                .trim()
                .parse()
                .ok()
                .filter(|&b: &u32| b > 0)
                .ok_or_else(|| err("the burst must be a whole number of at least 1"))?,
            None => alerts,
        };
        Ok(RateLimit { alerts, per, burst })
    }
}

/// One rule's token bucket: starts full (`burst` tokens), refills at the
/// rate, each alert takes one token. Integer arithmetic: exact.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    /// Tokens, scaled: one token is `per_ns` units.
    level: u128,
    capacity: u128,
    per_ns: u128,
    alerts: u128,
    last: Nanos,
}

impl TokenBucket {
    /// A full bucket for `limit`, at time `now`.
    pub fn new(limit: RateLimit, now: Nanos) -> TokenBucket {
        let per_ns = limit.per.as_nanos().max(1);
        let capacity = per_ns * u128::from(limit.burst.max(1));
        TokenBucket {
            level: capacity,
            capacity,
            per_ns,
            alerts: u128::from(limit.alerts),
            last: now,
        }
    }

    /// Takes a token at `now`: `true` when there was one.
    pub fn take(&mut self, now: Nanos) -> bool {
        let elapsed = u128::from(now.saturating_sub(self.last));
        self.last = self.last.max(now);
        self.level = (self.level + elapsed * self.alerts).min(self.capacity);
        if self.level >= self.per_ns {
            self.level -= self.per_ns;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    #[test]
    fn dedup_window() {
        let mut d = Dedup::new(Duration::from_secs(300));
        assert!(d.admit(1, 0));
        assert!(!d.admit(1, 299 * S));
        assert!(d.admit(2, 299 * S));
        assert!(d.admit(1, 300 * S));
        assert!(!d.admit(1, 301 * S));
    }

    #[test]
    fn bucket_refills_at_rate() {
        let limit: RateLimit = "2/s:3".parse().unwrap();
        let mut b = TokenBucket::new(limit, 0);
        assert!(b.take(0) && b.take(0) && b.take(0));
        assert!(!b.take(0));
        assert!(!b.take(S / 2 - 1));
        assert!(b.take(S / 2));
        assert!(!b.take(S / 2));
        // a long pause refills only up to the burst
        let taken = (0..10).filter(|_| b.take(100 * S)).count();
        assert_eq!(taken, 3);
    }

    #[test]
    fn parses_rates() {
        assert_eq!(
            "10/m".parse::<RateLimit>().unwrap(),
            RateLimit {
                alerts: 10,
                per: Duration::from_secs(60),
                burst: 10
            }
        );
        assert!("10".parse::<RateLimit>().is_err());
        assert!("0/s".parse::<RateLimit>().is_err());
        assert!("1/d".parse::<RateLimit>().is_err());
        assert!("1/s:0".parse::<RateLimit>().is_err());
    }
}
