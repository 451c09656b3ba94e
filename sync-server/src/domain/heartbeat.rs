//! What the office makes of kiosks' heartbeats.

use chrono::{DateTime, Duration, Utc};

/// How far back each kiosk's heartbeats are kept: enough to see what led
/// up to a problem, small enough for thousands of kiosks sending one a
/// minute.
pub const HISTORY: Duration = Duration::hours(2);

/// How a kiosk looks from the office.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    Revoked,
    /// Registered, never heard from.
    Never,
    /// Heard from within the silence limit.
    Alive,
    /// Not heard from for longer than the limit.
    Silent,
}

impl Liveness {
    pub fn code(self) -> &'static str {
        match self {
            Self::Revoked => "revoked",
            Self::Never => "never",
            Self::Alive => "alive",
            Self::Silent => "SILENT",
        }
    }
}

/// Whether a kiosk last heard from at `last_seen` is silent at `now`,
/// given the limit in minutes. A last-seen time ahead of `now` (another
/// instance's clock) counts as alive.
pub fn liveness(
    revoked: bool,
    last_seen: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    silent_minutes: u32,
) -> Liveness {
    match last_seen {
        _ if revoked => Liveness::Revoked,
        None => Liveness::Never,
        Some(seen) if now - seen > Duration::minutes(silent_minutes.into()) => Liveness::Silent,
        Some(_) => Liveness::Alive,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silent_after_the_limit_and_not_before() {
        let now = DateTime::UNIX_EPOCH + Duration::days(20_000);
        let ago = |m: i64| Some(now - Duration::minutes(m));
        assert_eq!(liveness(false, ago(10), now, 10), Liveness::Alive);
        assert_eq!(liveness(false, ago(11), now, 10), Liveness::Silent);
        assert_eq!(liveness(false, ago(-5), now, 10), Liveness::Alive);
        assert_eq!(liveness(false, None, now, 10), Liveness::Never);
        assert_eq!(liveness(true, ago(1), now, 10), Liveness::Revoked);
        assert_eq!(
            liveness(false, Some(DateTime::<Utc>::MIN_UTC), now, u32::MAX),
            Liveness::Silent
        );
    }
}
