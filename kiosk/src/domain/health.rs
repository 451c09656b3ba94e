//! When the kiosk works but not well: the problems a degraded-mode banner
//! names, each with what staff can do about it.

use chrono::{DateTime, Duration, Utc};

/// Sync silent this long (nothing reached the office) is worth a banner:
/// check-ins are kept, but the office sees none of them.
pub const SYNC_SILENT: Duration = Duration::hours(1);
/// Free space under which the disk is nearly full (doctor warns too).
pub const DISK_LOW: u64 = 1 << 30;
/// Free space under which a write may fail (doctor fails).
pub const DISK_FULL: u64 = 100 << 20;
/// The kiosk's clock this far from the office's.
pub const CLOCK_OFF_MS: i64 = 120_000;

/// Whether an offset (office minus kiosk, in ms) is worth a warning: the
/// status badge and the banner both ask this.
pub fn clock_off(offset_ms: i64) -> bool {
    offset_ms.unsigned_abs() > CLOCK_OFF_MS.unsigned_abs()
}

/// What the kiosk knows of its own state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signals {
    /// The camera could not be opened or stopped giving frames.
    pub camera_failing: bool,
    pub sync_configured: bool,
    pub last_sync: Option<DateTime<Utc>>,
    /// When the kiosk started: a kiosk that never synced is silent since.
    pub started: DateTime<Utc>,
    pub now: DateTime<Utc>,
    pub disk_free: Option<u64>,
    /// Office's clock minus the kiosk's, from the last snapshot.
    pub clock_offset_ms: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    Camera,
    Sync { silent_hours: i64 },
    Disk { free_mb: u64 },
    Clock { offset_minutes: i64 },
}

/// The problems, most pressing first (a member cannot check in without the
/// camera; records are kept through the others).
pub fn problems(s: &Signals) -> Vec<Problem> {
    let mut out = Vec::new();
    if s.camera_failing {
        out.push(Problem::Camera);
    }
    if let Some(free) = s.disk_free.filter(|&f| f < DISK_LOW) {
        out.push(Problem::Disk {
            free_mb: free >> 20,
        });
    }
    if s.sync_configured {
        // The kiosk has been trying since it started: a last sync from
        // before a restart counts from the restart.
        let since = s.last_sync.map_or(s.started, |at| at.max(s.started));
        let silent = s.now - since;
        if silent > SYNC_SILENT {
            out.push(Problem::Sync {
                silent_hours: silent.num_hours(),
            });
        }
    }
    if let Some(ms) = s.clock_offset_ms.filter(|&ms| clock_off(ms)) {
        out.push(Problem::Clock {
            offset_minutes: ms / 60_000,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fine() -> Signals {
        let now = Utc::now();
        Signals {
            camera_failing: false,
            sync_configured: true,
            last_sync: Some(now - Duration::minutes(5)),
            started: now - Duration::days(3),
            now,
            disk_free: Some(20 << 30),
            clock_offset_ms: Some(1_500),
        }
    }

    #[test]
    fn a_healthy_kiosk_has_no_banner() {
        assert_eq!(problems(&fine()), []);
        // Offline on purpose (no server configured) is not a problem.
        let offline = Signals {
            sync_configured: false,
            last_sync: None,
            ..fine()
        };
        assert_eq!(problems(&offline), []);
    }

    #[test]
    fn each_problem_is_named_most_pressing_first() {
        let s = fine();
        let all = Signals {
            camera_failing: true,
            last_sync: Some(s.now - Duration::minutes(150)),
            disk_free: Some(300 << 20),
            clock_offset_ms: Some(-7 * 60_000),
            ..s
        };
        assert_eq!(
            problems(&all),
            [
                Problem::Camera,
                Problem::Disk { free_mb: 300 },
                Problem::Sync { silent_hours: 2 },
                Problem::Clock { offset_minutes: -7 },
            ]
        );
    }

    #[test]
    fn sync_is_silent_from_the_start_when_it_never_reached_the_office() {
        let s = fine();
        let young = Signals {
            last_sync: None,
            started: s.now - Duration::minutes(59),
            ..s.clone()
        };
        assert_eq!(problems(&young), []);
        let old = Signals {
            last_sync: None,
            started: s.now - Duration::minutes(61),
            ..s.clone()
        };
        assert_eq!(problems(&old), [Problem::Sync { silent_hours: 1 }]);
        // A last sync from before a restart counts from the restart: the
        // kiosk has not tried for long yet.
        let restarted = Signals {
            last_sync: Some(s.now - Duration::days(2)),
            started: s.now - Duration::minutes(10),
            ..s
        };
        assert_eq!(problems(&restarted), []);
    }

    #[test]
    fn edges_of_disk_and_clock() {
        let s = fine();
        let at = |free, ms| Signals {
            disk_free: Some(free),
            clock_offset_ms: Some(ms),
            ..s.clone()
        };
        assert_eq!(problems(&at(DISK_LOW, CLOCK_OFF_MS)), []);
        assert_eq!(
            problems(&at(DISK_LOW - 1, -CLOCK_OFF_MS - 1)),
            [
                Problem::Disk { free_mb: 1023 },
                Problem::Clock { offset_minutes: -2 }
            ]
        );
        assert_eq!(problems(&at(0, i64::MIN))[0], Problem::Disk { free_mb: 0 });
    }
}
