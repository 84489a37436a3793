-- AlterTable
ALTER TABLE "sessions" ADD COLUMN     "dpop_jkt" TEXT;

-- CreateTable
CREATE TABLE "dpop_proof_jtis" (
    "jti" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "dpop_proof_jtis_pkey" PRIMARY KEY ("jti")
);

-- CreateTable
CREATE TABLE "server_secrets" (
    "name" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "server_secrets_pkey" PRIMARY KEY ("name")
);

-- CreateIndex
CREATE INDEX "dpop_proof_jtis_expires_at_idx" ON "dpop_proof_jtis"("expires_at");
