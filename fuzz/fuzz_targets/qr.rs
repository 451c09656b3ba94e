//! Any frame a camera may deliver, through the kiosk's QR decoder. The
//! decoder's own code is compiled in from the kiosk's source (the kiosk
//! crate itself brings a GUI that has no place in a fuzzer).
#![no_main]

use std::sync::Once;

use image::GrayImage;
use libfuzzer_sys::fuzz_target;

// At the crate root, as the kiosk's `decode` finds `prep` through `super`.
#[allow(dead_code)]
#[path = "../../kiosk/src/scan/decode.rs"]
mod decode;
#[allow(dead_code)]
#[path = "../../kiosk/src/scan/prep.rs"]
mod prep;

static QUIET: Once = Once::new();

fuzz_target!(|data: &[u8]| {
    // The decoder contains the readers' panics by design (rqrr has known
    // ones); libFuzzer's hook would abort on those. A panic that escapes
    // the decoder still fails the run: libfuzzer-sys catches it and aborts.
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    let [w, h, rest @ ..] = data else {
        return;
    };
    let (width, height) = (u32::from(*w) + 1, u32::from(*h) + 1);
    let needed = usize::try_from(width * height).unwrap_or(usize::MAX);
    if rest.len() < needed {
        return;
    }
    let Some(frame) = GrayImage::from_raw(width, height, rest[..needed].to_vec()) else {
        return;
    };
    let decoder = decode::QrDecoder::new();
    let _ = decoder.decode(&frame);
});
