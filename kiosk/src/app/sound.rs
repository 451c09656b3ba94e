//! Result sounds. Played with `aplay` on a named thread; a machine without
//! it or without a sound device plays nothing and says so once.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::outcome::OutcomeKind;

static SUCCESS: &[u8] = include_bytes!("../../../assets/sounds/success.wav");
static ALREADY: &[u8] = include_bytes!("../../../assets/sounds/already.wav");
static REFUSED: &[u8] = include_bytes!("../../../assets/sounds/refused.wav");

/// Where the Debian package puts the sounds.
const INSTALLED: &str = "/usr/share/baodao-kiosk/sounds";
const NAMES: [&str; 3] = ["success.wav", "already.wav", "refused.wav"];

#[derive(Debug, Clone)]
pub struct Sounds {
    dir: Option<PathBuf>,
    warned: Arc<AtomicBool>,
}

impl Sounds {
    /// Writes the sounds into `dir` so a player can read them.
    pub fn new(dir: PathBuf) -> Self {
        let written = std::fs::create_dir_all(&dir).is_ok()
            && [
                ("success.wav", SUCCESS),
                ("already.wav", ALREADY),
                ("refused.wav", REFUSED),
            ]
            .iter()
            .all(|(name, bytes)| std::fs::write(dir.join(name), bytes).is_ok());
        Self {
            dir: written.then_some(dir),
            warned: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The sounds the package installed, when they are there; else
    /// written into `fallback` (a kiosk run from a build).
    pub fn installed_or(fallback: PathBuf) -> Self {
        let installed = PathBuf::from(INSTALLED);
        if NAMES.iter().all(|name| installed.join(name).is_file()) {
            Self {
                dir: Some(installed),
                warned: Arc::new(AtomicBool::new(false)),
            }
        } else {
            Self::new(fallback)
        }
    }

    /// Silent, for tests.
    pub fn off() -> Self {
        Self {
            dir: None,
            warned: Arc::new(AtomicBool::new(true)),
        }
    }

    pub fn play(&self, outcome: OutcomeKind) {
        let name = match outcome {
            OutcomeKind::Accepted => "success.wav",
            OutcomeKind::Duplicate | OutcomeKind::Voided => "already.wav",
            OutcomeKind::Rejected | OutcomeKind::Error => "refused.wav",
        };
        let Some(path) = self.dir.as_ref().map(|d| d.join(name)) else {
            return;
        };
        let warned = Arc::clone(&self.warned);
        let spawned = std::thread::Builder::new().name("baodao-sound".into()).spawn(move || {
            let played = std::process::Command::new("aplay")
                .arg("-q")
                .arg(&path)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if !played && !warned.swap(true, Ordering::Relaxed) {
                tracing::warn!("no sound: aplay is missing or there is no sound device (the screen still shows every result)");
            }
        });
        if spawned.is_err() && !self.warned.swap(true, Ordering::Relaxed) {
            tracing::warn!("no sound: cannot start the sound thread");
        }
    }
}
