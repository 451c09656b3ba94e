//! The staff desk: what staff mode asks of the kiosk's database and
//! devices (lists, the PIN, the cameras, an export), answered on its own
//! thread over bounded channels. The window never waits for SQL, argon2
//! or a camera driver, so it keeps drawing at its frame rate.

use std::path::PathBuf;
use std::thread::JoinHandle;

use baodao_shared::ActivityId;
use chrono::{DateTime, Utc};
use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};

use crate::app::pin::{PinCheck, PinGate};
use crate::config::StaffPin;
use crate::error::{Error, Result};
use crate::store::{CheckInRow, Store};

/// Rows a staff list shows at most.
pub const LIST_ROWS: usize = 200;
/// Refused check-ins the sync tab shows at most.
pub const REFUSED_ROWS: usize = 500;

/// Which attendance list: the search text and the activity (none: all).
pub type ListKey = (String, Option<ActivityId>);

#[derive(Debug, Clone, PartialEq)]
pub enum Ask {
    CheckIns {
        key: ListKey,
        since: Option<DateTime<Utc>>,
    },
    /// What the office held or refused.
    Refused,
    Pin {
        pin: String,
        pins: Vec<StaffPin>,
        now: DateTime<Utc>,
    },
    Cameras,
    /// Every check-in as CSV to `path` (already checked by `export::target`).
    Export(PathBuf),
}

#[derive(Debug)]
pub enum Answer {
    CheckIns { key: ListKey, rows: Vec<CheckInRow> },
    Refused(Vec<CheckInRow>),
    Pin(PinCheck),
    Cameras(Vec<(u32, String)>),
    Exported(Result<(usize, PathBuf)>),
}

pub struct Desk {
    asks: Option<Sender<Ask>>,
    answers: Option<Receiver<Answer>>,
    thread: Option<JoinHandle<()>>,
}

impl Desk {
    /// Starts the desk's thread on its own connection to `database`.
    pub fn start(database: PathBuf) -> Result<Self> {
        let (asks, inbox) = bounded::<Ask>(8);
        let (outbox, answers) = bounded(8);
        let thread = std::thread::Builder::new()
            .name("baodao-desk".into())
            .spawn(move || serve(&database, &inbox, &outbox))
            .map_err(Error::io("starting the staff desk"))?;
        Ok(Self {
            asks: Some(asks),
            answers: Some(answers),
            thread: Some(thread),
        })
    }

    /// Asks; `false` when the desk is busy with eight asks already.
    pub fn ask(&self, ask: Ask) -> bool {
        match self.asks.as_ref().map(|a| a.try_send(ask)) {
            Some(Ok(())) => true,
            Some(Err(TrySendError::Full(_) | TrySendError::Disconnected(_))) | None => false,
        }
    }

    /// An answer, if one is ready.
    pub fn answer(&self) -> Option<Answer> {
        self.answers.as_ref().and_then(|a| a.try_recv().ok())
    }
}

impl Drop for Desk {
    fn drop(&mut self) {
        // Closing both channels ends the thread after the ask in hand.
        drop(self.asks.take());
        drop(self.answers.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(database: &std::path::Path, inbox: &Receiver<Ask>, outbox: &Sender<Answer>) {
    let store = match Store::open(database) {
        Ok(store) => Some(store),
        Err(e) => {
            tracing::warn!(error = %e, "staff lists unavailable");
            None
        }
    };
    // The lockout lives in the database: pulling the plug does not reset it.
    let mut gate: PinGate = store
        .as_ref()
        .and_then(|s| s.pin_gate().ok())
        .unwrap_or_default();
    for ask in inbox {
        let answer = match ask {
            Ask::CheckIns { key, since } => Answer::CheckIns {
                rows: store
                    .as_ref()
                    .and_then(|s| s.check_ins(key.1.as_ref(), since, &key.0, LIST_ROWS).ok())
                    .unwrap_or_default(),
                key,
            },
            Ask::Refused => Answer::Refused(
                store
                    .as_ref()
                    .and_then(|s| s.refused_check_ins(REFUSED_ROWS).ok())
                    .unwrap_or_default(),
            ),
            Ask::Pin { pin, pins, now } => {
                let check = gate.check(&pin, &pins, now);
                if let Some(Err(e)) = store.as_ref().map(|s| s.save_pin_gate(&gate)) {
                    tracing::warn!(error = %e, "cannot save the PIN lockout");
                }
                Answer::Pin(check)
            }
            Ask::Cameras => Answer::Cameras(find_cameras()),
            Ask::Export(path) => Answer::Exported(
                store
                    .as_ref()
                    .ok_or_else(|| Error::Internal("the kiosk database is not open".into()))
                    .and_then(|s| s.check_ins(None, None, "", usize::MAX))
                    .and_then(|rows| crate::export::write_csv(&path, &rows))
                    .map(|n| (n, path)),
            ),
        };
        // Disconnected: the desk was dropped.
        if outbox.send(answer).is_err() {
            return;
        }
    }
}

/// The cameras present, for staff to choose from.
fn find_cameras() -> Vec<(u32, String)> {
    crate::camera::present().unwrap_or_else(|e| {
        tracing::warn!(error = %e, "cannot list cameras");
        Vec::new()
    })
}
