-- The office's registry: communities with their names (and subdistrict
-- and district, for roll-ups), home organisations (party branches) with
-- theirs, and which organisations are paired with which communities.
-- (SQLite: migration 6.)
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
