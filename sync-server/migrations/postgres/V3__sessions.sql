-- Browser sessions of the office console (the cookie's secret hashed; the
-- CSRF token its forms carry), wrong passwords in a row and the lock they
-- set, and each activity's counting records for its turnout. (SQLite:
-- migration 5.)
CREATE TABLE office_sessions (
    secret_hash  TEXT PRIMARY KEY,
    user_id      BIGINT NOT NULL,
    csrf         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX office_sessions_user ON office_sessions (user_id);
ALTER TABLE office_users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE office_users ADD COLUMN locked_until BIGINT;
CREATE INDEX attendance_turnout ON attendance (activity_key, member_key, record_id, community)
    WHERE status IN ('accepted', 'repeat');
