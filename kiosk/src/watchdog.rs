//! systemd's watchdog. The kiosk pings only while every loop that matters
//! (the window's frames, the scan thread) has run lately, so a hung window or
//! a stalled scan thread gets the kiosk restarted, not only a crash. A ping
//! sent from its own thread alone would keep a frozen window alive.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, bounded, select};

use crate::error::{Error, Result};

/// The loops the watchdog looks at, each with when it last ran.
#[derive(Debug)]
pub struct Watchdog {
    origin: Instant,
    loops: Mutex<Vec<Arc<Loop>>>,
}

#[derive(Debug)]
struct Loop {
    name: &'static str,
    /// Milliseconds after `origin`.
    last: AtomicU64,
}

/// One loop's handle: it calls `beat` each time round.
#[derive(Debug, Clone)]
pub struct Heartbeat {
    origin: Instant,
    pulse: Arc<Loop>,
}

impl Heartbeat {
    pub fn beat(&self) {
        self.pulse
            .last
            .store(millis(self.origin, Instant::now()), Ordering::Relaxed);
    }
}

fn millis(origin: Instant, at: Instant) -> u64 {
    u64::try_from(at.saturating_duration_since(origin).as_millis()).unwrap_or(u64::MAX)
}

impl Default for Watchdog {
    fn default() -> Self {
        Self {
            origin: Instant::now(),
            loops: Mutex::new(Vec::new()),
        }
    }
}

impl Watchdog {
    /// Watches one more loop, alive from now.
    pub fn heartbeat(&self, name: &'static str) -> Heartbeat {
        let pulse = Arc::new(Loop {
            name,
            last: AtomicU64::new(millis(self.origin, Instant::now())),
        });
        self.loops
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::clone(&pulse));
        Heartbeat {
            origin: self.origin,
            pulse,
        }
    }

    /// The first loop that has not run within `limit` of `now`, and how long
    /// it has been: `None` while every loop runs.
    pub fn stalled(&self, now: Instant, limit: Duration) -> Option<(&'static str, Duration)> {
        let now = millis(self.origin, now);
        let loops = self.loops.lock().unwrap_or_else(PoisonError::into_inner);
        stalled(
            now,
            loops
                .iter()
                .map(|l| (l.name, l.last.load(Ordering::Relaxed))),
            limit,
        )
    }
}

/// Pure: which loop (name, last run in ms) is older than `limit` at `now`.
pub fn stalled(
    now: u64,
    loops: impl IntoIterator<Item = (&'static str, u64)>,
    limit: Duration,
) -> Option<(&'static str, Duration)> {
    loops.into_iter().find_map(|(name, last)| {
        let age = Duration::from_millis(now.saturating_sub(last));
        (age > limit).then_some((name, age))
    })
}

/// The watchdog period systemd asked for (`WATCHDOG_USEC`), if it is meant
/// for this process. Under cage the service's main process is the
/// compositor and the kiosk its child, so `WATCHDOG_PID` may name the
/// parent (the unit sets `NotifyAccess=all` for that).
pub fn period_from_env() -> Option<Duration> {
    let usec = std::env::var("WATCHDOG_USEC").ok()?;
    let pid = std::env::var("WATCHDOG_PID").ok();
    period(
        &usec,
        pid.as_deref(),
        std::process::id(),
        std::os::unix::process::parent_id(),
    )
}

/// Pure: `WATCHDOG_USEC` and `WATCHDOG_PID` read for a process and its parent.
pub fn period(usec: &str, pid: Option<&str>, me: u32, parent: u32) -> Option<Duration> {
    let usec: u64 = usec.trim().parse().ok().filter(|&u| u > 0)?;
    if let Some(pid) = pid {
        let pid: u32 = pid.trim().parse().ok()?;
        if pid != me && pid != parent {
            return None;
        }
    }
    Some(Duration::from_micros(usec))
}

/// Pings from a named thread every half `period` while every loop has run
/// within half `period`; stops when the returned guard is dropped.
pub fn start(
    watchdog: Arc<Watchdog>,
    period: Duration,
    ping: impl Fn() + Send + 'static,
) -> Result<Sender<()>> {
    let half = period / 2;
    watch(
        watchdog,
        half,
        crossbeam_channel::tick(half),
        move |_, stall| {
            if stall.is_none() {
                ping();
            }
        },
    )
}

/// The watchdog thread: at each tick, asks whether a loop is stalled and
/// tells `report`; ends when the returned guard is dropped or the ticks end.
pub fn watch(
    watchdog: Arc<Watchdog>,
    limit: Duration,
    ticks: Receiver<Instant>,
    report: impl Fn(Instant, Option<(&'static str, Duration)>) + Send + 'static,
) -> Result<Sender<()>> {
    let (guard, dropped) = bounded::<()>(0);
    std::thread::Builder::new()
        .name("baodao-watchdog".into())
        .spawn(move || {
            let mut stalled_before = false;
            loop {
                select! {
                    recv(dropped) -> _ => break,
                    recv(ticks) -> tick => {
                        let Ok(now) = tick else { break };
                        let stall = watchdog.stalled(now, limit);
                        if let (Some((name, age)), false) = (stall, stalled_before) {
                            tracing::error!(
                                loop_name = name,
                                stalled_ms = age.as_millis(),
                                "a loop has stopped: no more watchdog pings, systemd restarts the kiosk"
                            );
                        }
                        stalled_before = stall.is_some();
                        report(now, stall);
                    }
                }
            }
        })
        .map_err(Error::io("starting the watchdog thread"))?;
    Ok(guard)
}

/// Tells systemd, when it started the kiosk, that it is ready.
pub fn ready() {
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Ready]);
}

/// The ping systemd's watchdog waits for.
pub fn ping_systemd() {
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Watchdog]);
}

/// Starts pinging systemd when its watchdog is on. The guard keeps it going.
pub fn start_from_env(watchdog: &Arc<Watchdog>) -> Result<Option<Sender<()>>> {
    let Some(period) = period_from_env() else {
        return Ok(None);
    };
    tracing::info!(period_ms = period.as_millis(), "systemd watchdog on");
    start(Arc::clone(watchdog), period, ping_systemd).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loop_older_than_the_limit_is_stalled() {
        let limit = Duration::from_secs(5);
        assert_eq!(
            stalled(10_000, [("window", 9_000), ("scan", 6_000)], limit),
            None
        );
        assert_eq!(
            stalled(10_000, [("window", 4_000), ("scan", 9_990)], limit),
            Some(("window", Duration::from_secs(6)))
        );
        // A beat stored after `now` was read is not a stall.
        assert_eq!(stalled(10_000, [("scan", 10_050)], limit), None);
    }

    #[test]
    fn the_period_is_for_this_process_or_its_parent() {
        let half_minute = Some(Duration::from_secs(30));
        assert_eq!(period("30000000", None, 10, 1), half_minute);
        assert_eq!(period("30000000", Some("10"), 10, 1), half_minute);
        assert_eq!(period("30000000", Some("7"), 10, 7), half_minute);
        assert_eq!(period("30000000", Some("8"), 10, 7), None);
        assert_eq!(period("0", None, 10, 7), None);
        assert_eq!(period("-5", None, 10, 7), None);
        assert_eq!(period("lots", None, 10, 7), None);
        assert_eq!(
            period("18446744073709551615", None, 10, 7).map(|d| d.as_secs()),
            Some(18_446_744_073_709)
        );
        assert_eq!(period("30000000", Some("x"), 10, 7), None);
    }

    #[test]
    fn the_thread_reports_a_stuck_loop_at_each_tick_until_it_runs_again() {
        let watchdog = Arc::new(Watchdog::default());
        let window = watchdog.heartbeat("window");
        let limit = Duration::from_secs(15);
        let (tick, ticks) = bounded(1);
        let (reported, reports) = bounded(4);
        let guard = watch(Arc::clone(&watchdog), limit, ticks, move |now, stall| {
            let _ = reported.send((now, stall.map(|(name, _)| name)));
        })
        .expect("watchdog thread");
        let now = Instant::now();
        let verdict = |at: Instant| {
            tick.send(at).expect("tick");
            reports
                .recv_timeout(Duration::from_mins(1))
                .expect("report")
        };
        window.beat();
        assert_eq!(verdict(now + Duration::from_secs(1)).1, None);
        // No beat for longer than the limit: every tick says so.
        assert_eq!(verdict(now + Duration::from_secs(20)).1, Some("window"));
        assert_eq!(verdict(now + Duration::from_secs(30)).1, Some("window"));
        drop(guard);
    }

    #[test]
    fn a_loop_that_has_not_run_within_the_limit_is_named() {
        let watchdog = Watchdog::default();
        let window = watchdog.heartbeat("window");
        let scan = watchdog.heartbeat("scan");
        let limit = Duration::from_secs(15);
        let start = Instant::now();
        window.beat();
        scan.beat();
        assert_eq!(
            watchdog.stalled(start + Duration::from_secs(10), limit),
            None
        );
        let later = start + Duration::from_secs(40);
        let stall = watchdog.stalled(later, limit);
        assert_eq!(
            stall.map(|(name, _)| name),
            Some("window"),
            "the first stuck loop is named"
        );
        assert!(stall.is_some_and(|(_, age)| age >= Duration::from_secs(39)));
    }
}
