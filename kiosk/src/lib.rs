//! The Baodao kiosk core: camera, QR decoding, check-in decisions, the local
//! store and the sync client. No UI here: the window app, the headless mode,
//! the tests and the benchmarks all drive this same core.

pub mod config;
pub mod domain;
pub mod error;
pub mod scan;

pub use error::{Error, Result};
pub mod app;
pub mod camera;
pub mod clock;
#[cfg(feature = "demo")]
pub mod demo;
pub mod desk;
pub mod doctor;
pub mod engine;
pub mod enrol;
pub mod export;
pub mod files;
pub mod headless;
pub mod memory;
pub mod outcome;
pub mod store;
pub mod sync;
pub mod watchdog;
