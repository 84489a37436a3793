import "server-only";

import { createHash, randomBytes } from "node:crypto";

/** 32 bytes = 256 bits from the OS CSPRNG. */
const REFRESH_TOKEN_BYTES = 32;
/** base64url of 32 bytes is 43 characters. Anything else is not one of ours. */
const REFRESH_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * A new opaque refresh token: random, meaningless, and only ever sent in its
 * httpOnly cookie.
 *
 * @example
 * const raw = generateRefreshToken(); // "x3Jc…" (43 chars)
 */
export function generateRefreshToken(): string {
  return randomBytes(REFRESH_TOKEN_BYTES).toString("base64url");
}

/** True when a string has the shape of one of our tokens (checked before any lookup). */
export function isWellFormedRefreshToken(value: string): boolean {
  return REFRESH_TOKEN_PATTERN.test(value);
}

/**
 * What the database stores instead of the token: SHA-256, hex. A plain hash
 * (no salt, no slow KDF) is right here: the input is 256 random bits, so there
 * is nothing to brute-force, and the lookup must be a single indexed equality.
 *
 * @example
 * await db.refreshToken.findUnique({ where: { tokenHash: hashRefreshToken(raw) } });
 */
export function hashRefreshToken(raw: string): string {
  return createHash("sha256").update(raw).digest("hex");
}
