//! Request rate limits per kiosk token and per client address: token
//! buckets, refilled continuously. A kiosk that floods is slowed; the
//! others never notice.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Buckets kept before idle ones are dropped; bounds memory whatever keys
/// a client invents.
const MAX_KEYS: usize = 100_000;

#[derive(Debug, Clone, Copy, PartialEq)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// A rate: `per_minute` sustained, bursts of up to `burst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub per_minute: u32,
    pub burst: u32,
}

impl Rate {
    fn per_sec(self) -> f64 {
        f64::from(self.per_minute) / 60.0
    }
}

impl Bucket {
    fn full(rate: Rate, now: Instant) -> Self {
        Self {
            tokens: f64::from(rate.burst),
            at: now,
        }
    }

    /// Takes one token, or says how long until one is there.
    fn take(&mut self, rate: Rate, now: Instant) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate.per_sec()).min(f64::from(rate.burst));
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else if rate.per_minute == 0 {
            Err(Duration::from_mins(1))
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - self.tokens) / rate.per_sec(),
            ))
        }
    }

    fn is_full(&self, rate: Rate, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens + elapsed * rate.per_sec() >= f64::from(rate.burst)
    }
}

#[derive(Debug)]
pub struct RateLimiter {
    rate: Rate,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    pub fn new(rate: Rate) -> Self {
        Self {
            rate,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// `Ok` when `key` may make a request now; else how long to wait.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() >= MAX_KEYS && !buckets.contains_key(key) {
            let rate = self.rate;
            buckets.retain(|_, b| !b.is_full(rate, now));
            if buckets.len() >= MAX_KEYS {
                buckets.clear();
            }
        }
        buckets
            .entry(key.to_owned())
            .or_insert_with(|| Bucket::full(self.rate, now))
            .take(self.rate, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_sustained_rate() {
        let limiter = RateLimiter::new(Rate {
            per_minute: 60,
            burst: 3,
        });
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check("k", t0).is_ok());
        }
        let wait = limiter.check("k", t0).unwrap_err();
        assert!(
            wait > Duration::from_millis(900) && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
        // Another key is not affected.
        assert!(limiter.check("other", t0).is_ok());
        // One per second comes back.
        assert!(limiter.check("k", t0 + Duration::from_secs(1)).is_ok());
        assert!(limiter.check("k", t0 + Duration::from_secs(1)).is_err());
        // Never more than the burst, however long the pause.
        let later = t0 + Duration::from_hours(1);
        for _ in 0..3 {
            assert!(limiter.check("k", later).is_ok());
        }
        assert!(limiter.check("k", later).is_err());
    }

    #[test]
    fn invented_keys_cannot_grow_memory_without_bound() {
        let limiter = RateLimiter::new(Rate {
            per_minute: 60,
            burst: 2,
        });
        let t0 = Instant::now();
        for i in 0..(MAX_KEYS + 10) {
            let _ = limiter.check(&i.to_string(), t0);
        }
        assert!(limiter.buckets.lock().unwrap().len() <= MAX_KEYS);
    }

    #[test]
    fn a_zero_rate_refuses_with_a_minute() {
        let limiter = RateLimiter::new(Rate {
            per_minute: 0,
            burst: 0,
        });
        assert_eq!(
            limiter.check("k", Instant::now()),
            Err(Duration::from_mins(1))
        );
    }
}
