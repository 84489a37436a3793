-- Instant revocation (lib/auth/revocation.ts): every app instance LISTENs on the channel
-- `session_revoked` and keeps the ids it hears in memory, so a protected request can refuse a
-- revoked session's access token without reading the database.
--
-- The trigger lives in the database, not in the code that revokes, so no revocation path can
-- forget to announce itself (logout, one session, log out everywhere, a reuse verdict, a password
-- change, or an UPDATE typed by hand). NOTIFY is transactional: listeners hear the id only once
-- the revoking transaction commits, and never for one that rolls back.
--
-- Not in schema.prisma (Prisma models no triggers), so `npm run db:migration` never generates or
-- drops it; the migration history is its only home.

CREATE FUNCTION notify_session_revoked() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('session_revoked', COALESCE(NEW.id, OLD.id)::text);
  RETURN NULL;
END;
$$;

-- revoked_at goes from NULL to a time: the session just ended.
CREATE TRIGGER sessions_notify_revoked
AFTER UPDATE OF revoked_at ON sessions
FOR EACH ROW
WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
EXECUTE FUNCTION notify_session_revoked();

-- A live session deleted outright (its user was deleted: ON DELETE CASCADE) ends as surely.
CREATE TRIGGER sessions_notify_deleted
AFTER DELETE ON sessions
FOR EACH ROW
WHEN (OLD.revoked_at IS NULL)
EXECUTE FUNCTION notify_session_revoked();
