//! The kiosk's SQLite schema, migrated at start by `rusqlite_migration`
//! (as the server's is), which keeps the count applied in `user_version`,
//! as the hand-written runner before it did: kiosks in the field carry on.

use rusqlite::Connection;
use rusqlite_migration::{M, MigrationDefinitionError, Migrations};

use crate::error::{Error, Result};

/// The first schema: what every kiosk database started as.
const V1: &str = r"
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
";

const MIGRATIONS: &[M<'static>] = &[
    M::up(V1),
    M::up(
        r"
-- Members the office made inactive: refused at the kiosk.
ALTER TABLE roster ADD COLUMN inactive INTEGER NOT NULL DEFAULT 0;
",
    ),
    M::up(
        r"
-- Which staff member entered a check-in by hand, or voided one.
ALTER TABLE checkins ADD COLUMN entered_by TEXT;
ALTER TABLE voids ADD COLUMN voided_by TEXT;
",
    ),
];

pub fn run(conn: &mut Connection) -> Result<()> {
    Migrations::from_slice(MIGRATIONS)
        .to_latest(conn)
        .map_err(|e| match e {
            rusqlite_migration::Error::MigrationDefinition(
                MigrationDefinitionError::DatabaseTooFarAhead,
            ) => Error::Config(format!(
                "the kiosk database's schema is newer than this kiosk's ({} migrations); upgrade the kiosk",
                MIGRATIONS.len()
            )),
            rusqlite_migration::Error::RusqliteError { err, .. } => Error::Database(err),
            other => Error::Internal(format!("migrating the kiosk database: {other}")),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_migrations_are_valid() {
        Migrations::from_slice(MIGRATIONS).validate().unwrap();
    }

    #[test]
    fn a_database_at_the_old_runners_version_carries_on_and_a_newer_one_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        // What the hand-written runner left: the first migration, version 1.
        conn.execute_batch(V1).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        run(&mut conn).unwrap();
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, i64::try_from(MIGRATIONS.len()).unwrap());
        conn.execute(
            "INSERT INTO roster (member_id, name, organization, community, inactive) VALUES ('M1', '張偉', '局', 'C01', 1)",
            [],
        )
        .unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        let refused = run(&mut conn).unwrap_err().to_string();
        assert!(refused.contains("upgrade the kiosk"), "{refused}");
    }
}
