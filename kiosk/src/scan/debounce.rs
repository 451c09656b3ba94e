//! One card held in front of the camera for several seconds is one event:
//! a card is "presented" again only after it was out of sight for a moment.
//! (The engine then keeps "already checked in" to one calm answer.)

use std::collections::HashMap;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Debouncer {
    /// A card unseen for this long has been taken away.
    gap: Duration,
    last_seen: HashMap<String, Instant>,
}

impl Default for Debouncer {
    fn default() -> Self {
        Self::new(Duration::from_millis(1500))
    }
}

impl Debouncer {
    pub fn new(gap: Duration) -> Self {
        Self {
            gap,
            last_seen: HashMap::new(),
        }
    }

    /// Reports a card seen at `at`; `true` when this is a new presentation.
    pub fn sight(&mut self, text: &str, at: Instant) -> bool {
        let gap = self.gap;
        self.last_seen
            .retain(|_, seen| at.saturating_duration_since(*seen) < gap || at < *seen);
        self.last_seen.insert(text.to_owned(), at).is_none()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn a_card_held_for_seconds_is_one_event() {
        let mut d = Debouncer::default();
        let t0 = Instant::now();
        assert!(d.sight("A", t0));
        for i in 1..100 {
            assert!(
                !d.sight("A", t0 + Duration::from_millis(i * 33)),
                "frame {i}"
            );
        }
        assert!(d.sight("B", t0 + Duration::from_millis(500)));
        // Taken away for two seconds, then shown again: a new presentation.
        assert!(d.sight("A", t0 + Duration::from_millis(99 * 33 + 2000)));
    }

    proptest! {
        #[test]
        fn one_event_per_presentation(gaps in prop::collection::vec(0u64..3_000, 1..200)) {
            let mut d = Debouncer::default();
            let mut t = Instant::now();
            let mut events = 0;
            let mut presentations = 0;
            for (i, gap) in gaps.iter().enumerate() {
                t += Duration::from_millis(*gap);
                if i == 0 || *gap >= 1500 { presentations += 1; }
                if d.sight("card", t) { events += 1; }
            }
            prop_assert_eq!(events, presentations);
        }
    }
}
