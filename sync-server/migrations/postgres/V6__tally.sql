-- Each member's count of attended activities per year, kept by the
-- triggers below as records, voids and activities change, so that the
-- office's reports read one row per member instead of every record of the
-- year. Years are those of the time zone in tally_zone, whose boundaries
-- tally_years holds (the server fills both at start and recounts the tally
-- when the zone changes); while they are empty the reports count from the
-- records. (SQLite: migration 8.)
CREATE TABLE member_tally (
    member_key BIGINT NOT NULL,
    year       INTEGER NOT NULL,
    attended   INTEGER NOT NULL,
    PRIMARY KEY (member_key, year)
);
CREATE TABLE tally_years (
    year    INTEGER PRIMARY KEY,
    from_ms BIGINT NOT NULL,
    to_ms   BIGINT NOT NULL
);
CREATE TABLE tally_zone (zone TEXT NOT NULL);
INSERT INTO tally_zone (zone) VALUES ('');

-- Recounts member m's year of the instant starts (ms). Many instances
-- write at once: the lock on the member makes each recount wait for the
-- transactions before it on that member, and, run after the lock as a
-- new statement, see what they committed (READ COMMITTED), so the last
-- recount to commit has seen every record.
CREATE FUNCTION baodao_retally(m BIGINT, starts BIGINT) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    y  INTEGER;
    lo BIGINT;
    hi BIGINT;
BEGIN
    IF m IS NULL OR starts IS NULL THEN
        RETURN;
    END IF;
    SELECT ty.year, ty.from_ms, ty.to_ms INTO y, lo, hi
    FROM tally_years ty WHERE ty.from_ms <= starts AND starts < ty.to_ms;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock(1650, hashint8(m));
    INSERT INTO member_tally (member_key, year, attended)
    SELECT m, y, COUNT(DISTINCT a.activity_key)
    FROM attendance a JOIN activities t ON t.activity_key = a.activity_key
    WHERE a.member_key = m AND a.status IN ('accepted', 'repeat')
      AND t.starts_at >= lo AND t.starts_at < hi
      AND NOT EXISTS (SELECT 1 FROM voids v
                      WHERE v.record_id = a.record_id AND v.community = a.community)
    ON CONFLICT (member_key, year) DO UPDATE SET attended = EXCLUDED.attended;
END $$;

-- A record and its void may arrive at once through two instances: both
-- lock the record's id first, so the later one sees the earlier.
CREATE FUNCTION baodao_tally_record() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_advisory_xact_lock(1651, hashtext(OLD.record_id::text));
        PERFORM baodao_retally(OLD.member_key,
            (SELECT starts_at FROM activities WHERE activity_key = OLD.activity_key));
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_advisory_xact_lock(1651, hashtext(NEW.record_id::text));
        PERFORM baodao_retally(NEW.member_key,
            (SELECT starts_at FROM activities WHERE activity_key = NEW.activity_key));
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION baodao_tally_void() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v voids;
    r RECORD;
BEGIN
    IF TG_OP = 'DELETE' THEN v := OLD; ELSE v := NEW; END IF;
    PERFORM pg_advisory_xact_lock(1651, hashtext(v.record_id::text));
    FOR r IN SELECT a.member_key, t.starts_at
             FROM attendance a JOIN activities t ON t.activity_key = a.activity_key
             WHERE a.record_id = v.record_id AND a.community = v.community LOOP
        PERFORM baodao_retally(r.member_key, r.starts_at);
    END LOOP;
    RETURN NULL;
END $$;

CREATE FUNCTION baodao_tally_activity() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    m BIGINT;
BEGIN
    FOR m IN SELECT DISTINCT member_key FROM attendance
             WHERE activity_key = NEW.activity_key AND member_key IS NOT NULL
             ORDER BY member_key LOOP
        PERFORM baodao_retally(m, OLD.starts_at);
        PERFORM baodao_retally(m, NEW.starts_at);
    END LOOP;
    RETURN NULL;
END $$;

CREATE TRIGGER tally_record_added AFTER INSERT ON attendance
    FOR EACH ROW WHEN (NEW.status IN ('accepted', 'repeat'))
    EXECUTE FUNCTION baodao_tally_record();
CREATE TRIGGER tally_record_changed AFTER UPDATE OF status, member_key, activity_key ON attendance
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status
                       OR OLD.member_key IS DISTINCT FROM NEW.member_key
                       OR OLD.activity_key IS DISTINCT FROM NEW.activity_key)
    EXECUTE FUNCTION baodao_tally_record();
CREATE TRIGGER tally_record_removed AFTER DELETE ON attendance
    FOR EACH ROW EXECUTE FUNCTION baodao_tally_record();
CREATE TRIGGER tally_void_added AFTER INSERT OR DELETE ON voids
    FOR EACH ROW EXECUTE FUNCTION baodao_tally_void();
CREATE TRIGGER tally_activity_moved AFTER UPDATE OF starts_at ON activities
    FOR EACH ROW WHEN (OLD.starts_at IS DISTINCT FROM NEW.starts_at)
    EXECUTE FUNCTION baodao_tally_activity();
