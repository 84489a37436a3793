-- AlterTable
ALTER TABLE "refresh_tokens" ADD COLUMN     "reused_at" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "sessions" ADD COLUMN     "access_token_ttl_seconds" INTEGER,
ADD COLUMN     "idle_timeout_seconds" INTEGER,
ADD COLUMN     "refresh_grace_seconds" INTEGER;
