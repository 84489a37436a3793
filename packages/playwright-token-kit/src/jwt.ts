/**
 * Tokens as the kit shows them: decoded, never raw. A trace or a failure message that held the raw
 * string would hand a working credential to whoever reads the CI artefacts.
 */
import { createHash } from "node:crypto";

/** The payload of a JWT, decoded without verifying anything (tests only read it). */
export function readJwtClaims(token: string): Record<string, unknown> {
  const payload = token.split(".")[1];
  if (!payload) throw new Error("Not a JWT: expected three dot-separated parts.");
  return JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
}

/** What the trace says about one token: its header and claims if it is a JWT, and a fingerprint. */
export interface DecodedToken {
  /** `"token 2"`, `"refresh token 1"`: the order of first use in the test. */
  ref: string;
  /** The first 12 hex digits of the token's SHA-256: tells tokens apart, opens nothing. */
  sha256: string;
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
  /** `exp` as a date, when there is one. */
  expiresAt?: string;
}

/** Decodes `token` for display. An opaque token (no JWT) gets only its fingerprint. */
export function decodeToken(token: string, ref: string): DecodedToken {
  const sha256 = createHash("sha256").update(token).digest("hex").slice(0, 12);
  const parts = token.split(".");
  if (parts.length !== 3) return { ref, sha256 };
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, "base64url").toString("utf8")) as Record<
      string,
      unknown
    >;
    const claims = readJwtClaims(token);
    const expiresAt =
      typeof claims.exp === "number" ? new Date(claims.exp * 1000).toISOString() : undefined;
    return { ref, sha256, header, claims, ...(expiresAt ? { expiresAt } : {}) };
  } catch {
    return { ref, sha256 };
  }
}
