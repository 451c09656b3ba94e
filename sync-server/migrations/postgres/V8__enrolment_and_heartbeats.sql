-- Enrolment codes: a new kiosk exchanges one for its token. Only the
-- code's hash is kept; each is used once and lasts 24 hours.
-- (SQLite: migration 10.)
CREATE TABLE enrol_codes (
    code_hash   TEXT PRIMARY KEY,
    kiosk_id    TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX enrol_codes_kiosk ON enrol_codes (kiosk_id);

-- What each kiosk said of itself once a minute, the last two hours of it.
CREATE TABLE kiosk_heartbeats (
    kiosk_id     TEXT NOT NULL,
    received_at  BIGINT NOT NULL,
    report       TEXT NOT NULL,
    PRIMARY KEY (kiosk_id, received_at)
);
