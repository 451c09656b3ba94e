use rusqlite::Connection;

use crate::error::{Error, Result};

const MIGRATIONS: &[&str] = &[
    r"
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE roster (
    member_id    TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    organization TEXT NOT NULL,
    community    TEXT NOT NULL,
    card_serial  INTEGER
);
CREATE TABLE revoked (serial INTEGER PRIMARY KEY);
CREATE TABLE card_keys (key_id INTEGER PRIMARY KEY, public_key TEXT NOT NULL);
CREATE TABLE activities (
    activity_id TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    community   TEXT NOT NULL,
    starts_at   INTEGER NOT NULL,
    ends_at     INTEGER NOT NULL
);
CREATE TABLE points (
    member_id TEXT PRIMARY KEY,
    year      INTEGER NOT NULL,
    points    INTEGER NOT NULL,
    attended  INTEGER NOT NULL
);

CREATE TABLE checkins (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id     BLOB NOT NULL UNIQUE,
    member_id     TEXT NOT NULL,
    member_name   TEXT NOT NULL,
    activity_id   TEXT NOT NULL,
    scanned_at    INTEGER NOT NULL,
    method        TEXT NOT NULL,
    card          TEXT,
    server_status TEXT,
    server_reason TEXT,
    synced_at     INTEGER
);
CREATE INDEX checkins_pending ON checkins (seq) WHERE server_status IS NULL;
CREATE INDEX checkins_member_activity ON checkins (member_id, activity_id);

CREATE TABLE voids (
    record_id     BLOB PRIMARY KEY,
    reason        TEXT NOT NULL,
    voided_at     INTEGER NOT NULL,
    server_status TEXT,
    server_reason TEXT
);

CREATE TABLE sync_log (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      INTEGER NOT NULL,
    level   TEXT NOT NULL,
    message TEXT NOT NULL
);
",
    r"
-- Members the office made inactive: refused at the kiosk.
ALTER TABLE roster ADD COLUMN inactive INTEGER NOT NULL DEFAULT 0;
",
];

pub fn run(conn: &mut Connection) -> Result<()> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    let done = usize::try_from(version).unwrap_or(usize::MAX);
    if done > MIGRATIONS.len() {
        return Err(Error::Config(format!(
            "the kiosk database is at schema version {done}, newer than this kiosk ({}); upgrade the kiosk",
            MIGRATIONS.len()
        )));
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(done) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(
            None,
            "user_version",
            i64::try_from(index + 1).unwrap_or(i64::MAX),
        )?;
        tx.commit()?;
    }
    Ok(())
}
