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
-- drops it: the migration history is its only home.

-- IMPORTANT: no semicolon may appear in this file except between statements. The offline
-- migration path (lib/db/migrate.ts through @prisma/adapter-pg) splits a script on every
-- semicolon, so the function body below writes each one as \073 (octal for a semicolon) inside an
-- E'' string. PostgreSQL reads the body as
--   BEGIN PERFORM pg_notify('session_revoked', COALESCE(NEW.id, OLD.id)::text)  RETURN NULL  END
-- with semicolons where the \073 are.
CREATE FUNCTION notify_session_revoked() RETURNS trigger
LANGUAGE plpgsql AS E'BEGIN PERFORM pg_notify(''session_revoked'', COALESCE(NEW.id, OLD.id)::text)\073 RETURN NULL\073 END\073';

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
