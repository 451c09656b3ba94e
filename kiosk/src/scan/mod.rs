//! Frames to card texts: QR decoding with the preprocessing real kiosk
//! frames need, panic containment, and debouncing.

pub mod debounce;
pub mod decode;
pub mod prep;

pub use debounce::Debouncer;
pub use decode::QrDecoder;
