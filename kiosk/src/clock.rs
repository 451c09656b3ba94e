//! The time, from one place: the system's in the kiosk, a hand-moved one in
//! tests, so a test moves time past a debounce or a quiet period instead of
//! sleeping through it.

use std::fmt::Debug;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// Wall-clock time for what is stored and shown; a monotonic instant for
/// intervals (debounce, quiet periods).
pub trait Clock: Debug + Send + Sync {
    fn now(&self) -> DateTime<Utc>;
    fn instant(&self) -> Instant;
}

pub type SharedClock = Arc<dyn Clock>;

#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
    fn instant(&self) -> Instant {
        Instant::now()
    }
}

pub fn system() -> SharedClock {
    Arc::new(SystemClock)
}

/// A clock that stands still until moved.
#[derive(Debug)]
pub struct ManualClock {
    wall: DateTime<Utc>,
    base: Instant,
    moved: Mutex<Duration>,
}

impl ManualClock {
    /// A clock showing `wall` until moved.
    pub fn at(wall: DateTime<Utc>) -> Arc<Self> {
        Arc::new(Self {
            wall,
            base: Instant::now(),
            moved: Mutex::new(Duration::ZERO),
        })
    }

    pub fn advance(&self, by: Duration) {
        *self.moved.lock().unwrap_or_else(PoisonError::into_inner) += by;
    }

    fn moved(&self) -> Duration {
        *self.moved.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        chrono::Duration::from_std(self.moved()).map_or(self.wall, |d| self.wall + d)
    }
    fn instant(&self) -> Instant {
        self.base + self.moved()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let start: DateTime<Utc> = "2027-01-01T02:00:00+08:00".parse().unwrap();
        let clock = ManualClock::at(start);
        let (wall, instant) = (clock.now(), clock.instant());
        assert_eq!(wall, start);
        clock.advance(Duration::from_secs(90));
        assert_eq!(clock.now() - wall, chrono::Duration::seconds(90));
        assert_eq!(clock.instant() - instant, Duration::from_secs(90));
    }
}
