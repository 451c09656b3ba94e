//! Exponential backoff with jitter, so a hundred kiosks coming back online
//! after an outage do not all call at once.

use std::time::Duration;

pub const FIRST: Duration = Duration::from_secs(2);
pub const MOST: Duration = Duration::from_mins(5);

/// The wait after `failures` failures in a row; `jitter` in `[0, 1)` picks
/// a point in the upper half of the window ("equal jitter").
pub fn delay(failures: u32, jitter: f64) -> Duration {
    let window = FIRST.saturating_mul(1u32 << failures.min(16)).min(MOST);
    let jitter = jitter.clamp(0.0, 1.0);
    window.mul_f64(0.5 + jitter / 2.0)
}

/// A jitter value from the OS (`0.5` when it has none to give).
pub fn random_jitter() -> f64 {
    let mut bytes = [0u8; 4];
    if getrandom::fill(&mut bytes).is_err() {
        return 0.5;
    }
    f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn grows_then_stays_at_the_ceiling() {
        assert_eq!(delay(0, 1.0), Duration::from_secs(2));
        assert_eq!(delay(1, 1.0), Duration::from_secs(4));
        assert_eq!(delay(3, 0.0), Duration::from_secs(8));
        assert_eq!(delay(20, 1.0), MOST);
        assert_eq!(delay(u32::MAX, 1.0), MOST);
    }

    proptest! {
        #[test]
        fn always_within_the_window(failures in 0u32..40, jitter in 0.0f64..1.0) {
            let d = delay(failures, jitter);
            prop_assert!(d >= FIRST / 2 && d <= MOST);
            prop_assert!(delay(failures + 1, jitter) >= d);
        }
    }
}
