-- AlterTable
ALTER TABLE "sessions" ADD COLUMN     "head_parent_id" UUID;

-- Backfill: the parent of the first-issued token of the head generation (the rotation child:
-- grace siblings come later), so a lost-answer retry in flight during the upgrade keeps its session.
UPDATE "sessions" AS s
SET "head_parent_id" = (
  SELECT t."parent_id"
  FROM "refresh_tokens" AS t
  WHERE t."session_id" = s."id" AND t."generation" = s."head_generation"
  ORDER BY t."issued_at", t."id"
  LIMIT 1
)
WHERE s."head_generation" > 0;
