//! A USB camera through nokhwa (V4L2 on Linux). Frames come as YUYV, MJPEG,
//! NV12 or grey and leave as 8-bit luma.

use image::GrayImage;
use nokhwa::Camera;
use nokhwa::pixel_format::LumaFormat;
use nokhwa::utils::{
    ApiBackend, CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType,
    Resolution,
};

use super::FrameSource;
use crate::config::CameraSpec;
use crate::error::{Error, Result};

pub struct Device {
    camera: Camera,
    name: String,
}

fn camera_error(e: impl std::fmt::Display) -> Error {
    Error::Camera(e.to_string())
}

/// Names and indices of the cameras present, for the staff screen.
pub fn list() -> Result<Vec<(u32, String)>> {
    let cameras = nokhwa::query(ApiBackend::Auto).map_err(camera_error)?;
    Ok(cameras
        .iter()
        .filter_map(|c| match c.index() {
            CameraIndex::Index(i) => Some((*i, c.human_name())),
            CameraIndex::String(_) => None,
        })
        .collect())
}

impl Device {
    pub fn open(spec: &CameraSpec) -> Result<Self> {
        let present = list()?;
        let (index, name) = match spec {
            CameraSpec::Index(i) => present
                .into_iter()
                .find(|(n, _)| n == i)
                .ok_or_else(|| Error::Camera(format!("no camera with index {i}")))?,
            CameraSpec::Name(wanted) => present
                .into_iter()
                .find(|(_, name)| name.contains(wanted.as_str()))
                .ok_or_else(|| Error::Camera(format!("no camera named like {wanted:?}")))?,
            _ => present
                .into_iter()
                .next()
                .ok_or_else(|| Error::Camera("no camera found".into()))?,
        };
        // 640×480 is plenty for a card at arm's length and keeps decoding
        // fast; YUYV needs no JPEG decoding. The camera picks the closest.
        let wanted = CameraFormat::new(Resolution::new(640, 480), FrameFormat::YUYV, 30);
        let format = RequestedFormat::new::<LumaFormat>(RequestedFormatType::Closest(wanted));
        let mut camera = Camera::new(CameraIndex::Index(index), format).map_err(camera_error)?;
        camera.open_stream().map_err(camera_error)?;
        Ok(Self { camera, name })
    }
}

impl FrameSource for Device {
    fn describe(&self) -> String {
        let format = self.camera.camera_format();
        format!(
            "{} ({}×{} {:?})",
            self.name,
            format.resolution().width(),
            format.resolution().height(),
            format.format()
        )
    }

    fn next_frame(&mut self) -> Result<GrayImage> {
        let buffer = self.camera.frame().map_err(camera_error)?;
        let resolution = buffer.resolution();
        to_luma(
            buffer.buffer(),
            buffer.source_frame_format(),
            resolution.width(),
            resolution.height(),
        )
    }
}

impl Drop for Device {
    fn drop(&mut self) {
        let _ = self.camera.stop_stream();
    }
}

/// Raw camera bytes to luma.
pub fn to_luma(bytes: &[u8], format: FrameFormat, width: u32, height: u32) -> Result<GrayImage> {
    let pixels = (width as usize) * (height as usize);
    let short = || {
        Error::Camera(format!(
            "short frame: {} bytes for {width}×{height} {format:?}",
            bytes.len()
        ))
    };
    match format {
        FrameFormat::YUYV => {
            // Y0 U Y1 V: every other byte is luma.
            let luma: Vec<u8> = bytes.iter().step_by(2).copied().take(pixels).collect();
            GrayImage::from_raw(width, height, luma).ok_or_else(short)
        }
        FrameFormat::NV12 | FrameFormat::GRAY => GrayImage::from_raw(
            width,
            height,
            bytes.get(..pixels).ok_or_else(short)?.to_vec(),
        )
        .ok_or_else(short),
        FrameFormat::MJPEG => image::load_from_memory_with_format(bytes, image::ImageFormat::Jpeg)
            .map(|i| i.to_luma8())
            .map_err(|e| Error::Camera(format!("bad MJPEG frame: {e}"))),
        FrameFormat::RAWRGB | FrameFormat::RAWBGR => {
            let luma: Vec<u8> = bytes
                .chunks_exact(3)
                .take(pixels)
                .map(|p| {
                    let sum = u32::from(p[0]) * 77 + u32::from(p[1]) * 150 + u32::from(p[2]) * 29;
                    u8::try_from(sum >> 8).unwrap_or(u8::MAX)
                })
                .collect();
            GrayImage::from_raw(width, height, luma).ok_or_else(short)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuyv_and_grey_become_luma_and_short_frames_are_errors() {
        let yuyv = [10u8, 128, 20, 128, 30, 128, 40, 128];
        let luma = to_luma(&yuyv, FrameFormat::YUYV, 2, 2).unwrap();
        assert_eq!(luma.as_raw(), &vec![10, 20, 30, 40]);
        assert!(to_luma(&yuyv[..4], FrameFormat::YUYV, 2, 2).is_err());
        assert!(to_luma(&[1, 2, 3], FrameFormat::GRAY, 2, 2).is_err());
        assert!(to_luma(b"not a jpeg", FrameFormat::MJPEG, 2, 2).is_err());
    }
}
