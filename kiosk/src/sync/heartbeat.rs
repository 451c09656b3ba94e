//! The heartbeat: what the kiosk tells the office about itself once a
//! minute, also when nobody checks in. Put together here from counters
//! read elsewhere; pure, so every edge is tested.

use std::sync::Arc;
use std::time::Duration;

use baodao_shared::protocol::{
    CameraHealth, Heartbeat, MAX_CLOCK_OFFSET_MS, MAX_HEARTBEAT_COUNT, MAX_HEARTBEAT_TEXT_CHARS,
};
use chrono::{DateTime, Utc};

/// How often a heartbeat goes out.
pub const EVERY: Duration = Duration::from_mins(1);

/// The scan side's counters at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vitals {
    pub camera: Option<CameraHealth>,
    pub camera_detail: Option<String>,
    /// Frames scanned since start, and the microseconds spent decoding them.
    pub frames: u64,
    pub decode_micros: u64,
    pub decoder_panics: u64,
    pub disk_free_bytes: Option<u64>,
}

/// Reads the scan side's counters (the engine gives one to the sync thread).
#[derive(Clone)]
pub struct Probe(pub Arc<dyn Fn() -> Vitals + Send + Sync>);

impl std::fmt::Debug for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Probe")
    }
}

/// What the sync side knows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Queue {
    pub pending: u64,
    pub oldest_pending_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub clock_offset_ms: Option<i64>,
}

/// The heartbeat at `now`: rates over what happened since `before` (the
/// previous heartbeat's vitals, `elapsed` ago). Values are clamped to the
/// server's bounds (`Heartbeat::check`), so a heartbeat is never refused
/// for a value at the edge of its type.
pub fn compose(
    vitals: &Vitals,
    before: Option<&Vitals>,
    elapsed: Duration,
    queue: &Queue,
    now: DateTime<Utc>,
    uptime: Duration,
) -> Heartbeat {
    let (frames, micros) = before.map_or((vitals.frames, vitals.decode_micros), |b| {
        (
            vitals.frames.saturating_sub(b.frames),
            vitals.decode_micros.saturating_sub(b.decode_micros),
        )
    });
    let seconds = if before.is_some() {
        elapsed.as_secs_f64()
    } else {
        uptime.as_secs_f64()
    };
    // Counts of a minute or a process's life: far inside f64's exact range.
    #[allow(clippy::cast_precision_loss)]
    let scan_fps = if seconds > 0.0 {
        frames as f64 / seconds
    } else {
        0.0
    };
    #[allow(clippy::cast_precision_loss)]
    let decode_ms = if frames > 0 {
        micros as f64 / frames as f64 / 1000.0
    } else {
        0.0
    };
    #[allow(clippy::cast_possible_truncation)]
    let rate = |x: f64, max: f64| x.clamp(0.0, max) as f32;
    Heartbeat {
        sent_at: now,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        uptime_secs: uptime.as_secs().min(MAX_HEARTBEAT_COUNT),
        pending: queue.pending.min(MAX_HEARTBEAT_COUNT),
        oldest_pending_secs: queue.oldest_pending_at.map(|at| {
            u64::try_from((now - at).num_seconds())
                .unwrap_or(0)
                .min(MAX_HEARTBEAT_COUNT)
        }),
        camera: vitals.camera.unwrap_or(CameraHealth::Unknown),
        camera_detail: vitals.camera_detail.as_deref().map(one_line),
        scan_fps: rate(scan_fps, 1_000.0),
        decode_ms: rate(decode_ms, 1_000_000.0),
        decoder_panics: vitals.decoder_panics.min(MAX_HEARTBEAT_COUNT),
        disk_free_mb: vitals.disk_free_bytes.map(|b| b / (1024 * 1024)),
        last_error: queue.last_error.as_deref().map(one_line),
        clock_offset_ms: queue
            .clock_offset_ms
            .map(|ms| ms.clamp(-MAX_CLOCK_OFFSET_MS, MAX_CLOCK_OFFSET_MS)),
    }
}

/// A message as one line of at most the server's length.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_HEARTBEAT_TEXT_CHARS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + chrono::Duration::days(20_000)
    }

    #[test]
    fn rates_are_over_the_last_minute() {
        let before = Vitals {
            frames: 1_000,
            decode_micros: 5_000_000,
            ..Vitals::default()
        };
        let vitals = Vitals {
            camera: Some(CameraHealth::Working),
            frames: 1_600,
            decode_micros: 8_000_000,
            decoder_panics: 2,
            disk_free_bytes: Some(3 * 1024 * 1024 * 1024),
            ..Vitals::default()
        };
        let queue = Queue {
            pending: 4,
            oldest_pending_at: Some(now() - chrono::Duration::minutes(90)),
            last_error: Some("cannot reach\nthe server".into()),
            clock_offset_ms: Some(-1_500),
        };
        let h = compose(
            &vitals,
            Some(&before),
            Duration::from_mins(1),
            &queue,
            now(),
            Duration::from_hours(3),
        );
        assert!((h.scan_fps - 10.0).abs() < 1e-3, "{}", h.scan_fps);
        assert!((h.decode_ms - 5.0).abs() < 1e-3, "{}", h.decode_ms);
        assert_eq!(h.oldest_pending_secs, Some(90 * 60));
        assert_eq!(h.disk_free_mb, Some(3 * 1024));
        assert_eq!(h.last_error.as_deref(), Some("cannot reach the server"));
        assert_eq!(h.uptime_secs, 3 * 3600);
        assert_eq!(h.camera, CameraHealth::Working);
        h.check().unwrap();
    }

    #[test]
    fn values_at_the_edges_still_pass_the_servers_check() {
        let vitals = Vitals {
            frames: u64::MAX,
            decode_micros: u64::MAX,
            decoder_panics: u64::MAX,
            disk_free_bytes: Some(u64::MAX),
            camera_detail: Some("x".repeat(10_000)),
            ..Vitals::default()
        };
        let queue = Queue {
            pending: u64::MAX,
            // A scan "in the future" (the clock was set back): no negative age.
            oldest_pending_at: Some(now() + chrono::Duration::days(1)),
            last_error: Some("é".repeat(10_000)),
            clock_offset_ms: Some(i64::MIN),
        };
        for (before, elapsed) in [
            (None, Duration::ZERO),
            (Some(Vitals::default()), Duration::ZERO),
            (Some(vitals.clone()), Duration::from_nanos(1)),
        ] {
            let h = compose(
                &vitals,
                before.as_ref(),
                elapsed,
                &queue,
                now(),
                Duration::MAX,
            );
            h.check().unwrap();
            assert_eq!(h.oldest_pending_secs, Some(0));
            assert_eq!(h.camera, CameraHealth::Unknown);
        }
    }
}
