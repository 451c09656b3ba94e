//! Keeps a frame source running on its own thread. Opening failures, read
//! failures and panics in camera code become a status and a retry every few
//! seconds; a replugged camera comes back by itself.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};

use super::{Frame, FrameSource};
use crate::error::{Error, Result};

/// What the camera is doing, for the status badge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CameraStatus {
    Starting,
    Running {
        source: String,
    },
    /// Not available; the supervisor tries again in a few seconds.
    Unavailable {
        reason: String,
    },
    Stopped,
}

/// Opens a source; called again after every failure.
pub type Opener = Box<dyn FnMut() -> Result<Box<dyn FrameSource>> + Send>;

/// A running camera silent for this long is reported as stalled.
pub const STALL: Duration = Duration::from_secs(5);

pub struct Supervisor {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// What the camera thread and its owner share.
#[derive(Debug)]
struct Shared {
    status: Mutex<CameraStatus>,
    last_frame: Mutex<Option<Instant>>,
    stop: AtomicBool,
    /// Close the source and open again at once (a new camera was chosen).
    reopen: AtomicBool,
}

impl Supervisor {
    /// Starts the camera thread. Frames arrive on the returned channel,
    /// which holds at most `depth` frames: when the decoder falls behind,
    /// new frames are dropped rather than queued, so what is decoded is
    /// always recent.
    pub fn start(
        mut open: Opener,
        retry: Duration,
        depth: usize,
    ) -> Result<(Self, Receiver<Frame>)> {
        let (frames, receiver) = bounded(depth.max(1));
        let shared = Arc::new(Shared {
            status: Mutex::new(CameraStatus::Starting),
            last_frame: Mutex::new(None),
            stop: AtomicBool::new(false),
            reopen: AtomicBool::new(false),
        });
        let thread = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("baodao-camera".into())
                .spawn(move || run(&mut open, &frames, &shared, retry))
                .map_err(Error::io("starting the camera thread"))?
        };
        Ok((
            Self {
                shared,
                thread: Some(thread),
            },
            receiver,
        ))
    }

    /// Closes the current source and opens one again right away; the
    /// opener decides which (after a camera choice in staff mode).
    pub fn reopen(&self) {
        self.shared.reopen.store(true, Ordering::Relaxed);
    }

    /// What the camera is doing. A camera that says it runs but has sent
    /// nothing for a while (a driver stuck in a read) is reported as such.
    pub fn status(&self) -> CameraStatus {
        status_of(&self.shared)
    }

    /// Reads the status from another thread (the heartbeat's).
    pub fn status_reader(&self) -> impl Fn() -> CameraStatus + Send + Sync + 'static {
        let shared = Arc::clone(&self.shared);
        move || status_of(&shared)
    }
}

fn status_of(shared: &Shared) -> CameraStatus {
    let stalled = shared
        .last_frame
        .lock()
        .ok()
        .and_then(|last| *last)
        .is_some_and(|last| last.elapsed() > STALL);
    let status = shared.status.lock().map_or_else(
        |_| CameraStatus::Unavailable {
            reason: "status lost".into(),
        },
        |s| s.clone(),
    );
    match status {
        CameraStatus::Running { source } if stalled => CameraStatus::Unavailable {
            reason: format!("{source} stopped sending frames"),
        },
        other => other,
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        let stuck = matches!(self.status(), CameraStatus::Unavailable { reason } if reason.ends_with("stopped sending frames"));
        if let Some(thread) = self.thread.take() {
            // A thread stuck in a driver call would never return: leave it
            // to end with the process rather than hang the exit.
            if !stuck {
                let _ = thread.join();
            }
        }
    }
}

fn set(status: &Mutex<CameraStatus>, value: CameraStatus) {
    if let Ok(mut s) = status.lock()
        && *s != value
    {
        match &value {
            CameraStatus::Unavailable { reason } => tracing::warn!(%reason, "camera unavailable"),
            CameraStatus::Running { source } => tracing::info!(%source, "camera running"),
            _ => {}
        }
        *s = value;
    }
}

fn run(open: &mut Opener, frames: &Sender<Frame>, shared: &Shared, retry: Duration) {
    let status = &shared.status;
    let stop = &shared.stop;
    let mut seq = 0u64;
    let wait = || {
        let until = Instant::now() + retry;
        while Instant::now() < until
            && !stop.load(Ordering::Relaxed)
            && !shared.reopen.load(Ordering::Relaxed)
        {
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    while !stop.load(Ordering::Relaxed) {
        shared.reopen.store(false, Ordering::Relaxed);
        let mut source = match catch_unwind(AssertUnwindSafe(&mut *open)) {
            Ok(Ok(source)) => source,
            Ok(Err(e)) => {
                set(
                    status,
                    CameraStatus::Unavailable {
                        reason: e.to_string(),
                    },
                );
                wait();
                continue;
            }
            Err(_) => {
                set(
                    status,
                    CameraStatus::Unavailable {
                        reason: "camera driver crashed while opening".into(),
                    },
                );
                wait();
                continue;
            }
        };
        if let Ok(mut last) = shared.last_frame.lock() {
            *last = Some(Instant::now());
        }
        set(
            status,
            CameraStatus::Running {
                source: source.describe(),
            },
        );
        while !stop.load(Ordering::Relaxed) && !shared.reopen.load(Ordering::Relaxed) {
            let frame = catch_unwind(AssertUnwindSafe(|| source.next_frame()))
                .unwrap_or_else(|_| Err(Error::Camera("camera driver crashed".into())));
            match frame {
                Ok(luma) => {
                    seq += 1;
                    if let Ok(mut last) = shared.last_frame.lock() {
                        *last = Some(Instant::now());
                    }
                    let frame = Frame {
                        luma,
                        captured_at: Instant::now(),
                        seq,
                    };
                    match frames.try_send(frame) {
                        Ok(()) | Err(TrySendError::Full(_)) => {}
                        Err(TrySendError::Disconnected(_)) => {
                            set(status, CameraStatus::Stopped);
                            return;
                        }
                    }
                }
                Err(e) => {
                    set(
                        status,
                        CameraStatus::Unavailable {
                            reason: e.to_string(),
                        },
                    );
                    break;
                }
            }
        }
        drop(source);
        if !shared.reopen.load(Ordering::Relaxed) {
            wait();
        }
    }
    set(status, CameraStatus::Stopped);
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicU32;

    use image::GrayImage;

    use super::*;

    /// Fails to open twice, then delivers three frames, then "is unplugged".
    struct Flaky {
        frames_left: u32,
    }

    impl FrameSource for Flaky {
        fn describe(&self) -> String {
            "flaky".into()
        }
        fn next_frame(&mut self) -> Result<GrayImage> {
            std::thread::sleep(Duration::from_millis(5));
            if self.frames_left == 0 {
                return Err(Error::Camera("device unplugged".into()));
            }
            self.frames_left -= 1;
            Ok(GrayImage::new(4, 4))
        }
    }

    #[test]
    fn an_absent_then_unplugged_camera_is_a_status_and_comes_back() {
        let attempts = Arc::new(AtomicU32::new(0));
        let counter = Arc::clone(&attempts);
        let opener: Opener = Box::new(move || {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            match n {
                0 | 1 => Err(Error::Camera("no camera found".into())),
                2 => panic!("driver bug"),
                _ => Ok(Box::new(Flaky { frames_left: 3 }) as Box<dyn FrameSource>),
            }
        });
        let (supervisor, frames) = Supervisor::start(opener, Duration::from_millis(20), 8).unwrap();
        // Waits on the frames themselves: the panic on the way prints a
        // backtrace under RUST_BACKTRACE, and symbolising a debug test
        // binary on a loaded CI machine has taken over ten seconds. The
        // bound is only there to turn a hang into a failure.
        for n in 0..6 {
            frames
                .recv_timeout(Duration::from_mins(2))
                .unwrap_or_else(|e| panic!("frame {n} never came: {e}"));
        }
        assert!(attempts.load(Ordering::SeqCst) >= 5);
        drop(frames);
        drop(supervisor);
    }

    /// Delivers one frame, then hangs in its read like a stuck driver.
    struct Stuck(bool);

    impl FrameSource for Stuck {
        fn describe(&self) -> String {
            "stuck".into()
        }
        fn next_frame(&mut self) -> Result<GrayImage> {
            if self.0 {
                std::thread::sleep(STALL + Duration::from_secs(1));
            }
            self.0 = true;
            Ok(GrayImage::new(4, 4))
        }
    }

    #[test]
    fn a_camera_that_stops_sending_frames_is_reported() {
        let opener: Opener = Box::new(|| Ok(Box::new(Stuck(false)) as Box<dyn FrameSource>));
        let (supervisor, _frames) =
            Supervisor::start(opener, Duration::from_millis(20), 1).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        assert!(matches!(supervisor.status(), CameraStatus::Running { .. }));
        std::thread::sleep(STALL);
        assert_eq!(
            supervisor.status(),
            CameraStatus::Unavailable {
                reason: "stuck stopped sending frames".into()
            }
        );
    }

    #[test]
    fn reports_why_it_has_no_frames() {
        let opener: Opener = Box::new(|| Err(Error::Camera("no camera found".into())));
        let (supervisor, _frames) =
            Supervisor::start(opener, Duration::from_millis(20), 1).unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while supervisor.status() == CameraStatus::Starting && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(
            supervisor.status(),
            CameraStatus::Unavailable {
                reason: "camera: no camera found".into()
            }
        );
    }
}
