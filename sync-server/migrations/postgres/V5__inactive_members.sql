-- A membership the office made inactive, and since when: its check-ins
-- from then on are refused. And a member's records, for the office's
-- member page. (SQLite: migration 7.)
ALTER TABLE members ADD COLUMN inactive_since BIGINT;
CREATE INDEX attendance_member ON attendance (member_id);
