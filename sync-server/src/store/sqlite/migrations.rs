//! SQLite schema migrations, run at start by `rusqlite_migration`, which
//! keeps the count of those applied in `user_version` (as the hand-written
//! runner before it did, so existing databases carry on).

use rusqlite::Connection;
use rusqlite_migration::{M, MigrationDefinitionError, Migrations};

use crate::error::{Error, Result};

/// Member `$m`'s count (an SQL expression) for the tally year `y`: the
/// distinct activities of that year with a counting, unvoided record, as
/// `points.rs` counts them from the records.
macro_rules! recount {
    ($m:literal) => {
        concat!(
            "(SELECT COUNT(DISTINCT a.activity_key)
              FROM attendance a INDEXED BY attendance_counting
              JOIN activities t ON t.activity_key = a.activity_key
              WHERE a.member_key = ",
            $m,
            " AND a.status IN ",
            counting!(),
            " AND t.starts_at >= y.from_ms AND t.starts_at < y.to_ms
                AND NOT EXISTS (SELECT 1 FROM voids v
                                WHERE v.record_id = a.record_id AND v.community = a.community))"
        )
    };
}

/// Recomputes member `$m`'s tally for the year of activity `$act` (both
/// SQL expressions).
macro_rules! retally {
    ($m:literal, $act:literal) => {
        concat!(
            "INSERT INTO member_tally (member_key, year, attended)
             SELECT ",
            $m,
            ", y.year, ",
            recount!($m),
            "
             FROM activities s JOIN tally_years y
                  ON y.from_ms <= s.starts_at AND s.starts_at < y.to_ms
             WHERE s.activity_key = ",
            $act,
            " AND ",
            $m,
            " IS NOT NULL
             ON CONFLICT (member_key, year) DO UPDATE SET attended = excluded.attended;"
        )
    };
}

const MIGRATIONS: &[M<'static>] = &[
    M::up(
        r"
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO meta (key, value) VALUES ('seq', 0);

CREATE TABLE members (
    member_key   INTEGER PRIMARY KEY,
    member_id    TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    organization TEXT NOT NULL,
    community    TEXT NOT NULL,
    card_serial  INTEGER,
    seq          INTEGER NOT NULL
);
CREATE INDEX members_seq ON members (seq);

CREATE TABLE activities (
    activity_key INTEGER PRIMARY KEY,
    activity_id  TEXT NOT NULL UNIQUE,
    title        TEXT NOT NULL,
    kind         TEXT NOT NULL,
    community    TEXT NOT NULL,
    starts_at    INTEGER NOT NULL,
    ends_at      INTEGER NOT NULL,
    seq          INTEGER NOT NULL
);
CREATE INDEX activities_window ON activities (community, starts_at);

CREATE TABLE card_keys (
    key_id     INTEGER PRIMARY KEY,
    public_key TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE cards (
    serial      INTEGER PRIMARY KEY AUTOINCREMENT,
    member_id   TEXT NOT NULL,
    key_id      INTEGER NOT NULL,
    issued_at   INTEGER NOT NULL,
    expires_on  TEXT NOT NULL,
    revoked_at  INTEGER,
    revoked_seq INTEGER
);
CREATE INDEX cards_member ON cards (member_id);
CREATE INDEX cards_revoked ON cards (revoked_seq) WHERE revoked_seq IS NOT NULL;

CREATE TABLE kiosks (
    kiosk_id             TEXT PRIMARY KEY,
    name                 TEXT NOT NULL,
    community            TEXT NOT NULL,
    token_hash           TEXT NOT NULL UNIQUE,
    created_at           INTEGER NOT NULL,
    revoked_at           INTEGER,
    last_seen_at         INTEGER,
    last_clock_offset_ms INTEGER
);

CREATE TABLE batches (
    batch_id        BLOB PRIMARY KEY,
    kiosk_id        TEXT NOT NULL,
    sent_at         INTEGER NOT NULL,
    received_at     INTEGER NOT NULL,
    clock_offset_ms INTEGER NOT NULL,
    records         INTEGER NOT NULL,
    voids           INTEGER NOT NULL
);

CREATE TABLE attendance (
    record_id    BLOB PRIMARY KEY,
    kiosk_id     TEXT NOT NULL,
    batch_id     BLOB NOT NULL,
    member_id    TEXT NOT NULL,
    activity_id  TEXT NOT NULL,
    member_key   INTEGER,
    activity_key INTEGER,
    scanned_at   INTEGER NOT NULL,
    corrected_at INTEGER NOT NULL,
    method       TEXT NOT NULL,
    card         TEXT,
    received_at  INTEGER NOT NULL,
    status       TEXT NOT NULL,
    reason       TEXT,
    seq          INTEGER NOT NULL
);
CREATE INDEX attendance_pair ON attendance (member_key, activity_key);
CREATE INDEX attendance_seq ON attendance (seq);

CREATE TABLE voids (
    record_id   BLOB PRIMARY KEY,
    kiosk_id    TEXT NOT NULL,
    batch_id    BLOB NOT NULL,
    reason      TEXT NOT NULL,
    voided_at   INTEGER,
    received_at INTEGER NOT NULL,
    seq         INTEGER NOT NULL
);
CREATE INDEX voids_seq ON voids (seq);
",
    ),
    M::up(
        r"
-- Records and voids belong to the community of the kiosk that sent them. A
-- void applies only within its community, so one kiosk cannot erase another
-- community's records, even by voiding them before they arrive.
ALTER TABLE attendance ADD COLUMN community TEXT NOT NULL DEFAULT '';
UPDATE attendance SET community =
    COALESCE((SELECT k.community FROM kiosks k WHERE k.kiosk_id = attendance.kiosk_id), '');
-- Members who attended at a community other than their own: a kiosk's
-- snapshot carries its community's members and these (a paired agency's
-- member checking in with their own card). Written only for such visits,
-- so ingest pays nothing for the common case.
CREATE TABLE visitors (
    community  TEXT NOT NULL,
    member_key INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    PRIMARY KEY (community, member_key)
) WITHOUT ROWID;
INSERT INTO visitors (community, member_key, seq)
    SELECT a.community, a.member_key, MAX(a.seq)
    FROM attendance a JOIN members m ON m.member_key = a.member_key
    WHERE a.status IN ('accepted', 'repeat') AND a.community <> m.community
    GROUP BY a.community, a.member_key;
-- Set once a member counts somewhere other than at home: only then can one
-- card be counted at two communities at once, so only then does ingest
-- look at all of the member's records.
ALTER TABLE members ADD COLUMN visits_elsewhere INTEGER NOT NULL DEFAULT 0;
UPDATE members SET visits_elsewhere = 1 WHERE member_key IN (SELECT member_key FROM visitors);
-- Only manual check-ins are counted per kiosk and activity.
CREATE INDEX attendance_manual ON attendance (activity_key, kiosk_id) WHERE method = 'manual';
CREATE INDEX members_community ON members (community);

CREATE TABLE voids_scoped (
    record_id   BLOB NOT NULL,
    community   TEXT NOT NULL,
    kiosk_id    TEXT NOT NULL,
    batch_id    BLOB NOT NULL,
    reason      TEXT NOT NULL,
    voided_at   INTEGER,
    received_at INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    PRIMARY KEY (record_id, community)
);
INSERT INTO voids_scoped
    SELECT v.record_id, COALESCE(k.community, ''), v.kiosk_id, v.batch_id, v.reason, v.voided_at,
           v.received_at, v.seq
    FROM voids v LEFT JOIN kiosks k ON k.kiosk_id = v.kiosk_id;
DROP TABLE voids;
ALTER TABLE voids_scoped RENAME TO voids;
CREATE INDEX voids_seq ON voids (seq);

-- Retired keys verify no card; rotation adds keys with the next id.
ALTER TABLE card_keys ADD COLUMN retired_at INTEGER;

-- The database's identity: snapshot cursors from another epoch (a restored
-- backup, a new database) are not trusted.
INSERT INTO meta (key, value) VALUES ('epoch', abs(random() % 4294967295) + 1);
",
    ),
    M::up(
        r"
-- Counting records by member and activity, covering what the points query
-- reads (the void check needs record and community): the report becomes
-- one ordered index scan, and the per-record checks of ingest (already
-- attended, attended elsewhere) use it too. It replaces the index of every
-- record by pair, which nothing else used.
DROP INDEX attendance_pair;
CREATE INDEX attendance_counting ON attendance (member_key, activity_key, record_id, community)
    WHERE status IN ('accepted', 'repeat');
",
    ),
    M::up(
        r"
-- The office's people (passwords as argon2 hashes; an officer's
-- communities comma-separated), their API tokens (hashed), and the log of
-- every change they make.
CREATE TABLE office_users (
    user_id       INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    communities   TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL
);
CREATE TABLE office_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE TABLE audit (
    audit_id     INTEGER PRIMARY KEY,
    at           INTEGER NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    subject      TEXT NOT NULL,
    before_value TEXT,
    after_value  TEXT,
    note         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX attendance_review ON attendance (received_at) WHERE status IN ('held', 'rejected');
",
    ),
    M::up(
        r"
-- Browser sessions of the office console (the cookie's secret hashed; the
-- CSRF token its forms carry), wrong passwords in a row and the lock they
-- set, each activity's counting records for its turnout, and activities by
-- start for the day's list.
CREATE TABLE office_sessions (
    secret_hash  TEXT PRIMARY KEY,
    user_id      INTEGER NOT NULL,
    csrf         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);
CREATE INDEX office_sessions_user ON office_sessions (user_id);
ALTER TABLE office_users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE office_users ADD COLUMN locked_until INTEGER;
CREATE INDEX attendance_turnout ON attendance (activity_key, member_key, record_id, community)
    WHERE status IN ('accepted', 'repeat');
CREATE INDEX activities_start ON activities (starts_at);
",
    ),
    M::up(
        r"
-- The office's registry: communities with their names (and subdistrict
-- and district, for roll-ups), home organisations (party branches) with
-- theirs, and which organisations are paired with which communities.
CREATE TABLE communities (
    community_id TEXT PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    subdistrict  TEXT NOT NULL DEFAULT '',
    district     TEXT NOT NULL DEFAULT ''
);
CREATE TABLE organizations (
    organization_id TEXT PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE
);
CREATE TABLE pairings (
    organization_id TEXT NOT NULL,
    community_id    TEXT NOT NULL,
    PRIMARY KEY (organization_id, community_id)
);
",
    ),
    M::up(
        r"
-- A membership the office made inactive, and since when: its check-ins
-- from then on are refused. And a member's records, for the office's
-- member page.
ALTER TABLE members ADD COLUMN inactive_since INTEGER;
CREATE INDEX attendance_member ON attendance (member_id);
-- What the office knows of an activity besides what kiosks need, and its
-- cancellation (a cancelled one leaves the kiosks; its records are held).
ALTER TABLE activities ADD COLUMN place TEXT NOT NULL DEFAULT '';
ALTER TABLE activities ADD COLUMN organiser TEXT NOT NULL DEFAULT '';
ALTER TABLE activities ADD COLUMN capacity INTEGER;
ALTER TABLE activities ADD COLUMN cancelled_at INTEGER;
",
    ),
    M::up(concat!(
        r"
-- Each member's count of attended activities per year, kept by the
-- triggers below as records, voids and activities change, so that the
-- office's reports read one row per member instead of every record of the
-- year. Years are those of the time zone in `tally_zone`, whose boundaries
-- `tally_years` holds (the server fills both at start and rebuilds the
-- tally when the zone changes); while they are empty the reports count
-- from the records.
CREATE TABLE member_tally (
    member_key INTEGER NOT NULL,
    year       INTEGER NOT NULL,
    attended   INTEGER NOT NULL,
    PRIMARY KEY (member_key, year)
) WITHOUT ROWID;
CREATE TABLE tally_years (
    year    INTEGER PRIMARY KEY,
    from_ms INTEGER NOT NULL,
    to_ms   INTEGER NOT NULL
);
CREATE TABLE tally_zone (zone TEXT NOT NULL);
INSERT INTO tally_zone (zone) VALUES ('');

CREATE TRIGGER tally_record_added AFTER INSERT ON attendance
WHEN NEW.status IN ",
        counting!(),
        r"
BEGIN
",
        retally!("NEW.member_key", "NEW.activity_key"),
        r"
END;
CREATE TRIGGER tally_record_changed AFTER UPDATE OF status, member_key, activity_key ON attendance
WHEN OLD.status IS NOT NEW.status OR OLD.member_key IS NOT NEW.member_key
  OR OLD.activity_key IS NOT NEW.activity_key
BEGIN
",
        retally!("OLD.member_key", "OLD.activity_key"),
        retally!("NEW.member_key", "NEW.activity_key"),
        r"
END;
CREATE TRIGGER tally_record_removed AFTER DELETE ON attendance
BEGIN
",
        retally!("OLD.member_key", "OLD.activity_key"),
        r"
END;
CREATE TRIGGER tally_void_added AFTER INSERT ON voids
BEGIN
",
        retally!(
            "(SELECT member_key FROM attendance WHERE record_id = NEW.record_id AND community = NEW.community)",
            "(SELECT activity_key FROM attendance WHERE record_id = NEW.record_id AND community = NEW.community)"
        ),
        r"
END;
CREATE TRIGGER tally_void_removed AFTER DELETE ON voids
BEGIN
",
        retally!(
            "(SELECT member_key FROM attendance WHERE record_id = OLD.record_id AND community = OLD.community)",
            "(SELECT activity_key FROM attendance WHERE record_id = OLD.record_id AND community = OLD.community)"
        ),
        r"
END;
-- An activity moved to another year: its members' both years.
CREATE TRIGGER tally_activity_moved AFTER UPDATE OF starts_at ON activities
WHEN OLD.starts_at <> NEW.starts_at
BEGIN
    INSERT INTO member_tally (member_key, year, attended)
    SELECT p.member_key, y.year, ",
        recount!("p.member_key"),
        r"
    FROM (SELECT DISTINCT member_key FROM attendance
          WHERE activity_key = NEW.activity_key AND member_key IS NOT NULL) p,
         tally_years y
    WHERE (y.from_ms <= OLD.starts_at AND OLD.starts_at < y.to_ms)
       OR (y.from_ms <= NEW.starts_at AND NEW.starts_at < y.to_ms)
    ON CONFLICT (member_key, year) DO UPDATE SET attended = excluded.attended;
END;
"
    )),
    M::up(
        r"
-- A member moved to another community (a transfer, a re-import) stays
-- known at the old one as a visitor: its kiosks receive the change (the
-- member's new community) at their next poll instead of keeping the old
-- entry until a full snapshot, and a card shown there is checked as a
-- visit from elsewhere.
CREATE TRIGGER member_departed AFTER UPDATE OF community ON members
WHEN OLD.community <> NEW.community
BEGIN
    INSERT INTO visitors (community, member_key, seq) VALUES (OLD.community, NEW.member_key, NEW.seq)
        ON CONFLICT (community, member_key) DO UPDATE SET seq = excluded.seq;
    UPDATE members SET visits_elsewhere = 1
    WHERE member_key = NEW.member_key AND visits_elsewhere = 0;
END;
",
    ),
    M::up(
        r"
-- Enrolment codes: a new kiosk exchanges one for its token. Only the
-- code's hash is kept; each is used once and lasts 24 hours.
CREATE TABLE enrol_codes (
    code_hash   TEXT PRIMARY KEY,
    kiosk_id    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);
CREATE INDEX enrol_codes_kiosk ON enrol_codes (kiosk_id);
-- What each kiosk said of itself once a minute, the last two hours of it.
CREATE TABLE kiosk_heartbeats (
    kiosk_id     TEXT NOT NULL,
    received_at  INTEGER NOT NULL,
    report       TEXT NOT NULL,
    PRIMARY KEY (kiosk_id, received_at)
) WITHOUT ROWID;
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
                "the database's schema is newer than this server's ({} migrations); upgrade the server",
                MIGRATIONS.len()
            )),
            other => Error::Database(Box::new(other)),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_migrations_are_valid() {
        Migrations::from_slice(MIGRATIONS).validate().unwrap();
    }
}
