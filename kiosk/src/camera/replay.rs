//! `replay:DIR`: the image files of a folder in name order, looped, at a
//! fixed rate. For demos, tests and field diagnostics (save what a kiosk
//! camera sees, replay it on a laptop).

use std::path::{Path, PathBuf};
use std::time::Instant;

use image::GrayImage;

use super::{FrameSource, pace};
use crate::error::{Error, Result};

const EXTENSIONS: [&str; 5] = ["png", "jpg", "jpeg", "webp", "pgm"];

pub struct Replay {
    dir: PathBuf,
    files: Vec<PathBuf>,
    next: usize,
    fps: f32,
    last: Option<Instant>,
}

impl Replay {
    pub fn open(dir: &Path, fps: f32) -> Result<Self> {
        let files = image_files(dir)?;
        if files.is_empty() {
            return Err(Error::Camera(format!(
                "replay: no images (png, jpg, webp) in {}",
                dir.display()
            )));
        }
        Ok(Self {
            dir: dir.to_owned(),
            files,
            next: 0,
            fps,
            last: None,
        })
    }
}

/// The image files of `dir`, by name.
pub fn image_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Error::Camera(format!("replay: {}: {e}", dir.display())))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Loads an image file as luma.
pub fn load_luma(path: &Path) -> Result<GrayImage> {
    image::open(path)
        .map(|i| i.to_luma8())
        .map_err(|e| Error::Image {
            path: path.display().to_string(),
            message: e.to_string(),
        })
}

impl FrameSource for Replay {
    fn describe(&self) -> String {
        format!(
            "replay of {} ({} images)",
            self.dir.display(),
            self.files.len()
        )
    }

    fn next_frame(&mut self) -> Result<GrayImage> {
        pace(&mut self.last, self.fps);
        let path = self
            .files
            .get(self.next % self.files.len().max(1))
            .ok_or_else(|| Error::Camera("replay: no images".into()))?;
        self.next = (self.next + 1) % self.files.len().max(1);
        // A file removed or broken since the folder was listed fails this
        // source; the supervisor lists the folder again.
        load_luma(path).map_err(|e| Error::Camera(e.to_string()))
    }
}
