-- A member moved to another community (a transfer, a re-import) stays
-- known at the old one as a visitor: its kiosks receive the change (the
-- member's new community) at their next poll instead of keeping the old
-- entry until a full snapshot, and a card shown there is checked as a
-- visit from elsewhere. (SQLite: migration 9.)
CREATE FUNCTION baodao_member_departed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO visitors (community, member_key) VALUES (OLD.community, NEW.member_key)
        ON CONFLICT (community, member_key) DO UPDATE SET seq = pg_current_xact_id()::text::bigint;
    UPDATE members SET visits_elsewhere = true
    WHERE member_key = NEW.member_key AND NOT visits_elsewhere;
    RETURN NULL;
END $$;

CREATE TRIGGER member_departed AFTER UPDATE OF community ON members
    FOR EACH ROW WHEN (OLD.community IS DISTINCT FROM NEW.community)
    EXECUTE FUNCTION baodao_member_departed();
