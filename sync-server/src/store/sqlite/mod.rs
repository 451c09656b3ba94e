//! SQLite storage, the embedded default. One writer connection (SQLite has
//! one writer at a time anyway) and a few readers, all used from blocking
//! threads (`storage.rs` puts them behind the async contract). WAL mode
//! lets the admin commands work on the data directory while the server
//! runs.
//!
//! Snapshot cursors here are a counter (`meta.seq`) bumped by every write
//! transaction: with one writer, transactions commit in the order they
//! take their numbers, so `seq > cursor` never skips a committed change.

mod activities;
pub mod attendance;
mod cards;
mod kiosks;
mod members;
mod migrations;
mod office;
mod points;
mod registry;
mod sessions;
mod snapshot;
mod storage;
mod tally;
mod transfer;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

pub use storage::SqliteStorage;

use crate::error::{Error, Result};

const READERS: usize = 4;
/// The database file mapped into memory, at most (the mapping costs
/// address space, not memory).
const MMAP_BYTES: i64 = 4 << 30;
/// Each connection's own page cache, in KiB.
const CACHE_KIB: i64 = 32 << 10;

pub struct Store {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl Store {
    pub fn write_audit(
        &self,
        change: &crate::store::Change,
        action: &str,
        subject: &str,
        after: Option<&str>,
    ) -> Result<()> {
        self.write(|tx| audit_change(tx, change, action, subject, (None, after)))
    }

    /// Opens (creating and migrating when needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let mut writer = connect(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
        )?;
        migrations::run(&mut writer)?;
        let readers = (0..READERS)
            .map(|_| connect(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map(Mutex::new))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            writer: Mutex::new(writer),
            readers,
            next_reader: AtomicUsize::new(0),
        })
    }

    /// Runs `f` in one immediate (write-locking) transaction.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Runs `f` in one read transaction, so it sees one consistent state.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let index = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len().max(1);
        let reader = self
            .readers
            .get(index)
            .ok_or_else(|| Error::Internal("no database reader".into()))?;
        let mut conn = lock(reader);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        let out = f(&tx)?;
        tx.finish()?;
        Ok(out)
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Database(Box::new(e))
    }
}

/// Locks a connection, recovering one that a panicking request left behind:
/// its transaction was rolled back as the panic unwound (or is rolled back
/// here), so the next request finds the database as it was. A poisoned
/// lock must not stop every later request.
fn lock(conn: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    let guard = conn.lock().unwrap_or_else(|poisoned| {
        tracing::warn!("recovering a database connection after a panic");
        conn.clear_poison();
        poisoned.into_inner()
    });
    if !guard.is_autocommit() {
        let _ = guard.execute_batch("ROLLBACK");
    }
    guard
}

fn connect(path: &Path, flags: OpenFlags) -> Result<Connection> {
    let conn = Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // Query-planner stability: SQLite (with STAT4, as bundled) would
    // otherwise re-prepare a cached statement whenever a bound value that
    // its plan peeked at changes; measured, that tripled ingest time.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    if !flags.contains(OpenFlags::SQLITE_OPEN_READ_ONLY) {
        conn.pragma_update(None, "journal_mode", "WAL")?;
    }
    // A receipt tells the kiosk it may stop resending; it must survive a
    // power cut, so every commit is synced.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // Reports read every member: with SQLite's default 2 MB cache a
    // connection re-read its pages from the kernel on each one (measured:
    // two thirds of a points report for 100k members went to pread). The
    // file is mapped instead, so every connection reads the one page cache
    // of the OS, and each keeps a larger cache of its own.
    conn.pragma_update(None, "mmap_size", MMAP_BYTES)?;
    conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
    Ok(conn)
}

/// Bumps and returns the change sequence that snapshot cursors follow.
fn next_seq(tx: &Transaction<'_>) -> Result<i64> {
    Ok(tx.query_row(
        "UPDATE meta SET value = value + 1 WHERE key = 'seq' RETURNING value",
        [],
        |row| row.get(0),
    )?)
}

fn current_seq(tx: &Transaction<'_>) -> Result<i64> {
    Ok(
        tx.query_row("SELECT value FROM meta WHERE key = 'seq'", [], |row| {
            row.get(0)
        })?,
    )
}

impl Store {
    /// Writes a consistent copy of the database to `out` while it is in use.
    pub fn backup(&self, out: &Path) -> Result<()> {
        let target = out
            .to_str()
            .ok_or_else(|| Error::Invalid(format!("{} is not a UTF-8 path", out.display())))?;
        lock(&self.writer).execute("VACUUM INTO ?1", [target])?;
        Ok(())
    }

    /// Gives the database a new identity: every kiosk's cursor becomes
    /// foreign and its next snapshot is a full one. Run after a restore,
    /// when cursors kiosks hold may point past what the database has.
    pub fn new_epoch(&self) -> Result<u64> {
        self.write(|tx| {
            let value: i64 = tx.query_row(
                "UPDATE meta SET value = abs(random() % 4294967295) + 1 WHERE key = 'epoch' RETURNING value",
                [],
                |r| r.get(0),
            )?;
            Ok(u64::try_from(value).unwrap_or_default())
        })
    }
}

/// The database's identity, which snapshot cursors carry.
fn epoch(tx: &Transaction<'_>) -> Result<u64> {
    let value: i64 = tx.query_row("SELECT value FROM meta WHERE key = 'epoch'", [], |row| {
        row.get(0)
    })?;
    Ok(u64::try_from(value).unwrap_or_default())
}

/// The audit entry of an import, in its transaction.
fn audit_import(
    tx: &Transaction<'_>,
    change: &crate::store::Change,
    action: &str,
    rows: usize,
    summary: crate::store::ImportSummary,
) -> Result<()> {
    audit_change(
        tx,
        change,
        action,
        &format!("{rows} rows"),
        (None, Some(&summary.to_string())),
    )
}

/// An audit entry for `change`, in its transaction.
pub(super) fn audit_change(
    tx: &Transaction<'_>,
    change: &crate::store::Change,
    action: &str,
    subject: &str,
    (before, after): (Option<&str>, Option<&str>),
) -> Result<()> {
    tx.execute(
        "INSERT INTO audit (at, actor, action, subject, before_value, after_value, note)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        rusqlite::params![
            to_ms(change.at),
            change.actor,
            action,
            subject,
            before,
            after,
            change.note
        ],
    )?;
    Ok(())
}

fn to_ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

fn from_ms(ms: i64) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms).ok_or(rusqlite::Error::IntegralValueOutOfRange(0, ms))
}

/// Parses a text column into a domain value, as a column conversion error.
fn parse_column<T: std::str::FromStr>(index: usize, text: &str) -> rusqlite::Result<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    text.parse().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(e))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_inside_a_write_rolls_back_and_leaves_the_writer_usable() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite")).unwrap();
        let seq = || store.read(current_seq).unwrap();
        let before = seq();
        let crash = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = store.write(|tx| -> Result<()> {
                next_seq(tx)?;
                panic!("a bug in the middle of a write");
            });
        }));
        assert!(crash.is_err());
        assert!(store.writer.is_poisoned());
        assert_eq!(seq(), before, "the half-done write was rolled back");
        store.write(next_seq).unwrap();
        assert_eq!(seq(), before + 1);
        assert!(!store.writer.is_poisoned());
    }
}
