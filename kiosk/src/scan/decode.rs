//! QR decoding with rqrr, made robust for kiosk frames and contained: rqrr
//! panics on some images, and a panic must never take the kiosk down.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};

use image::GrayImage;

use super::prep;

/// Frames larger than this (either side) are halved before the first try.
const MAX_SIDE: u32 = 1280;
/// Frames smaller than this (the short side) are also tried doubled.
const SMALL_SIDE: u32 = 400;

#[derive(Debug, Default)]
pub struct QrDecoder {
    panics: AtomicU64,
}

impl QrDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many times the decoder panicked (and was contained) so far.
    pub fn panics(&self) -> u64 {
        self.panics.load(Ordering::Relaxed)
    }

    /// The texts of the QR codes in `frame`, trying the fixes for common
    /// problems in turn until one reads. Empty when there is no code.
    pub fn decode(&self, frame: &GrayImage) -> Vec<String> {
        let base = if frame.width().max(frame.height()) > MAX_SIDE {
            prep::half(frame)
        } else {
            frame.clone()
        };
        let found = self.try_once(&base);
        if !found.is_empty() {
            return found;
        }
        // Dark mode, low contrast, noise/blur, then a small code: cheapest
        // and most common first.
        let inverted = prep::invert(&base);
        let found = self.try_once(&inverted);
        if !found.is_empty() {
            return found;
        }
        if let Some(stretched) = prep::stretch_contrast(&base) {
            let found = self.try_once(&stretched);
            if !found.is_empty() {
                return found;
            }
        }
        if base.width().min(base.height()) >= 2 * 120 {
            let found = self.try_once(&prep::half(&base));
            if !found.is_empty() {
                return found;
            }
        }
        if base.width().min(base.height()) < SMALL_SIDE {
            let found = self.try_once(&prep::double(&base));
            if !found.is_empty() {
                return found;
            }
        }
        Vec::new()
    }

    /// One rqrr pass; a panic inside it counts as "nothing found".
    fn try_once(&self, image: &GrayImage) -> Vec<String> {
        let result = catch_unwind(AssertUnwindSafe(|| {
            let mut prepared = rqrr::PreparedImage::prepare(image.clone());
            prepared
                .detect_grids()
                .iter()
                .filter_map(|grid| grid.decode().ok().map(|(_, text)| text))
                .collect::<Vec<_>>()
        }));
        match result {
            Ok(mut texts) => {
                texts.sort();
                texts.dedup();
                texts
            }
            Err(_) => {
                let count = self.panics.fetch_add(1, Ordering::Relaxed) + 1;
                tracing::warn!(count, "the QR decoder panicked on a frame; frame skipped");
                Vec::new()
            }
        }
    }
}
