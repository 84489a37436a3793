-- Retention (lib/auth/retention.ts): the indexes the prune finds ended sessions and spent tokens
-- by, and no more cascade from a token to the token it issued (the prune deletes spent tokens,
-- and a cascade would take their live children with them).
--
-- IMPORTANT: a plain CREATE INDEX blocks writes to its table while it builds. On a large existing
-- deployment build them first by hand with CREATE INDEX CONCURRENTLY under these names: the
-- statements below say IF NOT EXISTS, so they then do nothing (docs/deployment.md, "Retention").

-- DropForeignKey
ALTER TABLE "refresh_tokens" DROP CONSTRAINT "refresh_tokens_parent_id_fkey";

-- CreateIndex
CREATE INDEX IF NOT EXISTS "refresh_tokens_issued_at_idx" ON "refresh_tokens"("issued_at");

-- CreateIndex
CREATE INDEX IF NOT EXISTS "sessions_revoked_at_idx" ON "sessions"("revoked_at");

-- CreateIndex
CREATE INDEX IF NOT EXISTS "sessions_absolute_expires_at_idx" ON "sessions"("absolute_expires_at");

-- CreateIndex
CREATE INDEX IF NOT EXISTS "sessions_idle_expires_at_idx" ON "sessions"("idle_expires_at");
