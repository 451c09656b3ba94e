//! One card held in front of the camera for several seconds is one event;
//! the same card shown again soon after gives one more, then quiet.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// What a sighting of a card means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sighting {
    /// A new presentation of the card.
    First,
    /// Shown again within the cooldown: worth one calm answer.
    Again,
}

#[derive(Debug)]
pub struct Debouncer {
    /// A card unseen for this long has been taken away.
    gap: Duration,
    /// After an event, a re-presentation within this time is `Again`, once.
    cooldown: Duration,
    cards: HashMap<String, CardState>,
}

#[derive(Debug, Clone, Copy)]
struct CardState {
    last_seen: Instant,
    last_event: Instant,
    said_again: bool,
}

impl Default for Debouncer {
    fn default() -> Self {
        Self::new(Duration::from_millis(1500), Duration::from_mins(1))
    }
}

impl Debouncer {
    pub fn new(gap: Duration, cooldown: Duration) -> Self {
        Self {
            gap,
            cooldown,
            cards: HashMap::new(),
        }
    }

    /// Reports a card seen at `at`; `None` when it is no news.
    pub fn sight(&mut self, text: &str, at: Instant) -> Option<Sighting> {
        self.forget_before(at);
        let Some(seen) = self.cards.get_mut(text) else {
            self.cards.insert(
                text.to_owned(),
                CardState {
                    last_seen: at,
                    last_event: at,
                    said_again: false,
                },
            );
            return Some(Sighting::First);
        };
        let same_presentation = at.saturating_duration_since(seen.last_seen) < self.gap;
        seen.last_seen = at;
        if same_presentation {
            return None;
        }
        if at.saturating_duration_since(seen.last_event) < self.cooldown {
            if seen.said_again {
                return None;
            }
            seen.said_again = true;
            seen.last_event = at;
            return Some(Sighting::Again);
        }
        *seen = CardState {
            last_seen: at,
            last_event: at,
            said_again: false,
        };
        Some(Sighting::First)
    }

    fn forget_before(&mut self, at: Instant) {
        let keep = self.cooldown.max(self.gap);
        self.cards.retain(|_, seen| {
            at.saturating_duration_since(seen.last_seen) < keep || at < seen.last_seen
        });
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
        assert_eq!(d.sight("A", t0), Some(Sighting::First));
        for i in 1..100 {
            assert_eq!(
                d.sight("A", t0 + Duration::from_millis(i * 33)),
                None,
                "frame {i}"
            );
        }
        assert_eq!(
            d.sight("B", t0 + Duration::from_millis(500)),
            Some(Sighting::First)
        );
    }

    #[test]
    fn shown_again_soon_is_one_calm_event_then_quiet() {
        let mut d = Debouncer::default();
        let t0 = Instant::now();
        assert_eq!(d.sight("A", t0), Some(Sighting::First));
        assert_eq!(
            d.sight("A", t0 + Duration::from_secs(5)),
            Some(Sighting::Again)
        );
        assert_eq!(d.sight("A", t0 + Duration::from_secs(10)), None);
        assert_eq!(d.sight("A", t0 + Duration::from_secs(15)), None);
        // After the cooldown, a new presentation is news again.
        assert_eq!(
            d.sight("A", t0 + Duration::from_secs(90)),
            Some(Sighting::First)
        );
    }

    proptest! {
        #[test]
        fn at_most_two_events_per_card_per_cooldown(gaps in prop::collection::vec(0u64..3_000, 1..200)) {
            let mut d = Debouncer::default();
            let start = Instant::now();
            let mut t = start;
            let mut events = 0;
            for gap in gaps {
                t += Duration::from_millis(gap);
                if t.duration_since(start) >= Duration::from_mins(1) { break; }
                if d.sight("card", t).is_some() { events += 1; }
            }
            prop_assert!(events <= 2);
        }
    }
}
