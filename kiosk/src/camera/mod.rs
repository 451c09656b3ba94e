//! Frame sources behind one trait, and the supervisor thread that keeps one
//! running: no camera, an unplugged camera or a stalled one is a status and
//! a retry, never a crash.

#[cfg(feature = "camera")]
pub mod device;
pub mod replay;
pub mod supervisor;
pub mod synthetic;

use std::time::Instant;

use image::GrayImage;

pub use supervisor::{CameraStatus, Supervisor};

use crate::config::CameraSpec;
use crate::error::{Error, Result};

/// One frame, as 8-bit luma.
#[derive(Debug, Clone)]
pub struct Frame {
    pub luma: GrayImage,
    pub captured_at: Instant,
    pub seq: u64,
}

/// Anything that yields frames: a USB camera, a folder of images, a
/// renderer. `next_frame` blocks until a frame (at the source's pace) or
/// fails; the supervisor reopens a failed source.
pub trait FrameSource {
    fn describe(&self) -> String;
    fn next_frame(&mut self) -> Result<GrayImage>;
}

/// Opens the source the configuration names. Fails when it cannot be
/// opened now; the supervisor tries again later.
pub fn open(spec: &CameraSpec, fps: f32) -> Result<Box<dyn FrameSource>> {
    match spec {
        CameraSpec::None => Err(Error::Camera(
            "no camera configured (camera = \"none\")".into(),
        )),
        CameraSpec::Replay(dir) => Ok(Box::new(replay::Replay::open(dir, fps)?)),
        CameraSpec::Synthetic => Ok(Box::new(synthetic::DemoCards::new(Vec::new(), fps))),
        #[cfg(feature = "camera")]
        CameraSpec::Auto | CameraSpec::Index(_) | CameraSpec::Name(_) => {
            Ok(Box::new(device::Device::open(spec)?))
        }
        #[cfg(not(feature = "camera"))]
        CameraSpec::Auto | CameraSpec::Index(_) | CameraSpec::Name(_) => Err(Error::Camera(
            "this build has no camera support (feature \"camera\" off)".into(),
        )),
    }
}

/// The cameras plugged in now, as (index, name); none in a build without
/// camera support.
pub fn present() -> Result<Vec<(u32, String)>> {
    #[cfg(feature = "camera")]
    {
        device::list()
    }
    #[cfg(not(feature = "camera"))]
    Ok(Vec::new())
}

/// Sleeps to keep a source at `fps`, measured from `last`.
pub(crate) fn pace(last: &mut Option<Instant>, fps: f32) {
    let period = std::time::Duration::from_secs_f32(1.0 / fps.max(0.1));
    if let Some(previous) = *last {
        let elapsed = previous.elapsed();
        if elapsed < period {
            std::thread::sleep(period.saturating_sub(elapsed));
        }
    }
    *last = Some(Instant::now());
}
