-- A membership the office made inactive, and since when: its check-ins
-- from then on are refused. And a member's records, for the office's
-- member page. (SQLite: migration 7.)
ALTER TABLE members ADD COLUMN inactive_since BIGINT;
CREATE INDEX attendance_member ON attendance (member_id);
-- What the office knows of an activity besides what kiosks need, and its
-- cancellation (a cancelled one leaves the kiosks; its records are held).
ALTER TABLE activities ADD COLUMN place TEXT NOT NULL DEFAULT '';
ALTER TABLE activities ADD COLUMN organiser TEXT NOT NULL DEFAULT '';
ALTER TABLE activities ADD COLUMN capacity INTEGER;
ALTER TABLE activities ADD COLUMN cancelled_at BIGINT;
