//! QR decoding, made robust for kiosk frames and contained.
//!
//! A frame goes through a fixed sequence of passes (an image made from it
//! and a reader) until one reads a code. The order and the passes come from
//! `benches/scan` (`BENCH_PASSES=1` runs each alone on hard webcam frames):
//! a contrast-normalised half-size image reads most codes, faint, noisy
//! or glared ones included, in a few milliseconds; the full frame reads
//! codes too small to halve; a normalisation about a module wide sharpens
//! defocused ones; rqrr (quirc's algorithm) goes last. Readers are
//! wrapped: a panic in one (rqrr has known ones) is counted and the frame
//! skipped.

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};

use image::GrayImage;

use super::prep;

/// How many frames after a read its pass is still tried first.
const REMEMBER_FRAMES: u32 = 15;

#[derive(Debug, Default)]
pub struct QrDecoder {
    panics: AtomicU64,
    /// The pass that read the last code in a camera stream: tried first,
    /// since the light, the card and the distance rarely change between
    /// frames.
    last_read: Option<Pass>,
    /// Frames since then.
    since_read: u32,
    /// Where the camera stream's turn of the slower passes stands.
    turn: usize,
}

impl QrDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many times a reader panicked (and was contained) so far.
    pub fn panics(&self) -> u64 {
        self.panics.load(Ordering::Relaxed)
    }

    /// The texts of the QR codes in a still image, every pass tried.
    /// Empty when there is none.
    pub fn decode(&self, image: &GrayImage) -> Vec<String> {
        let mut images = Images::new(image);
        for pass in Pass::ALL {
            let found = self.contained(|| pass.read_from(&mut images));
            if !found.is_empty() {
                return found;
            }
        }
        Vec::new()
    }

    /// The texts of the QR codes in a camera frame. Every pass on every
    /// frame would take most of a core while nobody is at the door, so a
    /// frame gets the first pass, the one that read the last code, and one
    /// of the others in turn: a code held up for as many frames as there
    /// are passes (a tenth of a second at 30 fps) meets them all.
    pub fn scan(&mut self, frame: &GrayImage) -> Vec<String> {
        let mut images = Images::new(frame);
        let slower = &Pass::ALL[1..];
        let turn = slower[self.turn % slower.len()];
        self.turn = self.turn.wrapping_add(1);
        self.since_read = self.since_read.saturating_add(1);
        // Only while the code (or the next person in the same light) is
        // likely still there: half a second.
        let recent = self
            .last_read
            .filter(|_| self.since_read <= REMEMBER_FRAMES);
        let mut tried = Vec::with_capacity(3);
        for pass in [recent, Some(Pass::ALL[0]), Some(turn)]
            .into_iter()
            .flatten()
        {
            if tried.contains(&pass) {
                continue;
            }
            tried.push(pass);
            let found = self.contained(|| pass.read_from(&mut images));
            if !found.is_empty() {
                self.last_read = Some(pass);
                self.since_read = 0;
                return found;
            }
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

/// One look at a frame: an image made from it and a reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// rxing on the half-size frame normalised in a window a tenth of its
    /// height: faint (15%), noisy, glared and unevenly lit codes, and most
    /// codes at arm's length.
    Normalised,
    /// rxing on the frame as it came: codes too small to halve.
    Full,
    /// rxing on the half-size frame normalised in a window about a module
    /// wide, which sharpens a defocused code.
    Sharpened,
    /// rqrr on the half-size frame.
    Quirc,
}

impl Pass {
    /// In the order the decoder tries them.
    pub const ALL: [Self; 4] = [Self::Normalised, Self::Full, Self::Sharpened, Self::Quirc];

    /// Runs this pass alone on `frame`.
    pub fn read(self, frame: &GrayImage) -> Vec<String> {
        self.read_from(&mut Images::new(frame))
    }

    fn read_from(self, images: &mut Images) -> Vec<String> {
        match self {
            Self::Normalised => {
                let half = images.half();
                let radius = (half.height() / 20).max(2);
                zxing(&prep::normalise(half, radius, 6.0), true)
            }
            Self::Full => zxing(images.frame, true),
            Self::Sharpened => {
                let half = images.half();
                let radius = (half.height() / 120).max(2);
                zxing(&prep::normalise(half, radius, 6.0), false)
            }
            Self::Quirc => quirc(images.half()),
        }
    }
}

/// A frame and the images made from it, each made once.
struct Images<'a> {
    frame: &'a GrayImage,
    half: Option<GrayImage>,
}

impl<'a> Images<'a> {
    fn new(frame: &'a GrayImage) -> Self {
        Self { frame, half: None }
    }

    fn half(&mut self) -> &GrayImage {
        self.half.get_or_insert_with(|| prep::half(self.frame))
    }
}

/// rxing's QR readers (its port of zxing-cpp's, then ZXing's) on a
/// hybrid-binarised image, trying harder, and on the inverted image for
/// dark-mode phone screens when `inverted`.
fn zxing(image: &GrayImage, inverted: bool) -> Vec<String> {
    use rxing::Reader;
    let Some(mut bitmap) = bitmap(image) else {
        return Vec::new();
    };
    let hints = hints();
    let read = |bitmap: &mut rxing::BinaryBitmap<_>| {
        rxing::qrcode::cpp_port::QrReader
            .decode_with_hints(bitmap, &hints)
            .or_else(|_| rxing::qrcode::QRCodeReader.decode_with_hints(bitmap, &hints))
            .ok()
            .map(|result| result.getText().to_owned())
    };
    if let Some(text) = read(&mut bitmap) {
        return vec![text];
    }
    if inverted {
        bitmap.invert();
        if let Some(text) = read(&mut bitmap) {
            return vec![text];
        }
    }
    Vec::new()
}

fn bitmap(
    image: &GrayImage,
) -> Option<rxing::BinaryBitmap<rxing::common::HybridBinarizer<rxing::Luma8Source<'_>>>> {
    let source =
        rxing::Luma8Source::new_with_slice(image.as_raw(), image.width(), image.height()).ok()?;
    Some(rxing::BinaryBitmap::new(
        rxing::common::HybridBinarizer::new(source),
    ))
}

fn hints() -> rxing::DecodeHints {
    rxing::DecodeHints {
        TryHarder: Some(true),
        ..rxing::DecodeHints::default()
    }
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

    #[test]
    fn a_stream_meets_every_pass_in_a_few_frames_then_reads_on_the_first() {
        use crate::camera::synthetic::{Scene, render};
        // Far from the camera: too small once halved, so only the
        // full-frame pass, which is not first, reads it.
        let text = "BD1:far-from-the-camera";
        let far = render(&Scene {
            code_px: 110,
            ..Scene::new(Some(text.to_owned()))
        })
        .unwrap();
        assert!(Pass::Normalised.read(&far).is_empty());
        assert_eq!(Pass::Full.read(&far), [text]);

        let mut decoder = QrDecoder::new();
        let frames = (1..Pass::ALL.len())
            .position(|_| !decoder.scan(&far).is_empty())
            .expect("read within a turn of the passes");
        assert!(frames < Pass::ALL.len() - 1);
        for _ in 0..5 {
            assert_eq!(decoder.scan(&far), [text]);
        }
        let empty = render(&Scene::new(None)).unwrap();
        for _ in 0..=REMEMBER_FRAMES {
            assert!(decoder.scan(&empty).is_empty());
        }
        assert_eq!(decoder.decode(&far), [text]);
    }
}
