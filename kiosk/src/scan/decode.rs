//! QR decoding, made robust for kiosk frames and contained.
//!
//! Two readers, measured side by side in `benches/scan.rs` on generated
//! kiosk frames and on real camera photos: rxing (a Rust port of ZXing's
//! reader, with its hybrid binarizer and "try harder") reads most frames in
//! about a millisecond; rqrr (quirc's algorithm) reads some that rxing
//! misses (small, noisy codes), with preprocessing. rxing goes first; rqrr
//! and the fixes run only when it found nothing. Both are wrapped: a panic
//! in either (rqrr has known ones) is counted and the frame skipped.

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};

use image::GrayImage;

use super::prep;

/// Frames larger than this (either side) are halved before rqrr.
const MAX_SIDE: u32 = 1280;
/// Frames smaller than this (the short side) are also tried doubled.
const SMALL_SIDE: u32 = 400;
/// rqrr reads frames up to this many pixels at full size too.
const FULL_PASS_PIXELS: u64 = 250_000;

#[derive(Debug, Default)]
pub struct QrDecoder {
    panics: AtomicU64,
}

impl QrDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many times a reader panicked (and was contained) so far.
    pub fn panics(&self) -> u64 {
        self.panics.load(Ordering::Relaxed)
    }

    /// The texts of the QR codes in `frame`. Empty when there is none.
    pub fn decode(&self, frame: &GrayImage) -> Vec<String> {
        let found = self.contained(|| zxing(frame));
        if !found.is_empty() {
            return found;
        }
        let base = if frame.width().max(frame.height()) > MAX_SIDE {
            prep::half(frame)
        } else {
            frame.clone()
        };
        // Cheapest and most common fixes first.
        if base.width().min(base.height()) >= 2 * 120 {
            let found = self.contained(|| quirc(&prep::half(&base)));
            if !found.is_empty() {
                return found;
            }
        }
        // Full size only where it is cheap: on a 640×480 kiosk frame the
        // half-size pass reads the same codes in a quarter of the time.
        if u64::from(base.width()) * u64::from(base.height()) < FULL_PASS_PIXELS {
            let found = self.contained(|| quirc(&base));
            if !found.is_empty() {
                return found;
            }
        }
        if base.width().min(base.height()) < SMALL_SIDE {
            return self.contained(|| quirc(&prep::double(&base)));
        }
        Vec::new()
    }

    /// Runs one reader; a panic inside it counts as "nothing found".
    fn contained(&self, read: impl FnOnce() -> Vec<String>) -> Vec<String> {
        if let Ok(texts) = catch_unwind(AssertUnwindSafe(read)) {
            let mut seen = HashSet::new();
            texts
                .into_iter()
                .filter(|t| seen.insert(t.clone()))
                .collect()
        } else {
            let count = self.panics.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::warn!(count, "a QR reader panicked on a frame; frame skipped");
            Vec::new()
        }
    }
}

/// rxing: ZXing's QR reader with its hybrid binarizer, trying harder and
/// also reading inverted (dark-mode) codes.
fn zxing(image: &GrayImage) -> Vec<String> {
    let mut hints = rxing::DecodeHints {
        TryHarder: Some(true),
        AlsoInverted: Some(true),
        ..rxing::DecodeHints::default()
    };
    rxing::helpers::detect_in_luma_with_hints(
        image.as_raw().clone(),
        image.width(),
        image.height(),
        Some(rxing::BarcodeFormat::QR_CODE),
        &mut hints,
    )
    .map(|result| vec![result.getText().to_owned()])
    .unwrap_or_default()
}

/// rqrr: every grid it finds and can decode.
fn quirc(image: &GrayImage) -> Vec<String> {
    let mut prepared = rqrr::PreparedImage::prepare(image.clone());
    prepared
        .detect_grids()
        .iter()
        .filter_map(|grid| grid.decode().ok().map(|(_, text)| text))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_panic_is_contained_and_counted() {
        let decoder = QrDecoder::new();
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let found = decoder.contained(|| panic!("assertion failed in the reader"));
        std::panic::set_hook(hook);
        assert!(found.is_empty());
        assert_eq!(decoder.panics(), 1);
        assert!(decoder.decode(&GrayImage::new(640, 480)).is_empty());
        assert!(decoder.decode(&GrayImage::new(1, 1)).is_empty());
        assert!(decoder.decode(&GrayImage::new(0, 0)).is_empty());
    }
}
