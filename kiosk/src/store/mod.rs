//! The kiosk's SQLite file: check-ins and voids (the outbox: never deleted,
//! marked with what the server said), the cached snapshot, and a sync log.
//! A check-in is acknowledged only after its transaction is on disk
//! (`synchronous=FULL`), so killing the kiosk at any moment loses nothing
//! it showed as done.

mod checkins;
mod migrations;
mod snapshot;

use std::path::Path;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension};

pub use checkins::{CheckIn, CheckInRow};

use crate::error::Result;

/// One connection; each thread that needs the store opens its own.
pub struct Store {
    conn: Connection,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl Store {
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent() {
            crate::files::create_private_dir(dir)?;
        }
        crate::files::ensure_private_file(path)?;
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        migrations::run(&mut conn)?;
        Ok(Self { conn })
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    /// The staff PIN's failures and lockout, as last saved.
    pub fn pin_gate(&self) -> Result<crate::app::pin::PinGate> {
        Ok(self
            .meta("pin_gate")?
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default())
    }

    pub fn save_pin_gate(&self, gate: &crate::app::pin::PinGate) -> Result<()> {
        let json =
            serde_json::to_string(gate).map_err(|e| crate::Error::Internal(e.to_string()))?;
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES ('pin_gate', ?1) ON CONFLICT (key) DO UPDATE SET value = ?1",
            [json],
        )?;
        Ok(())
    }

    /// Notes a sync event for the staff screen; keeps the last 1000.
    pub fn log(&self, level: &str, message: &str, at: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "INSERT INTO sync_log (at, level, message) VALUES (?1, ?2, ?3)",
            rusqlite::params![at.timestamp_millis(), level, message],
        )?;
        self.conn.execute(
            "DELETE FROM sync_log WHERE id <= (SELECT MAX(id) - 1000 FROM sync_log)",
            [],
        )?;
        Ok(())
    }
}

fn from_ms(ms: i64) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms).ok_or(rusqlite::Error::IntegralValueOutOfRange(0, ms))
}

fn parse_column<T: std::str::FromStr>(index: usize, text: &str) -> rusqlite::Result<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    text.parse().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(e))
    })
}
