/**
 * The session views: the sessions page's list of live sessions, and the inspector's view of one
 * session with its refresh-token family (lib/auth/session-family.ts builds it). Times are ISO
 * strings on the wire.
 */
import { z } from "zod";

/** One row of `GET /api/auth/sessions`. */
export const liveSessionSchema = z.object({
  id: z.string(),
  current: z.boolean(),
  userAgent: z.string().nullable(),
  ip: z.string().nullable(),
  createdAt: z.string(),
  lastUsedAt: z.string(),
  idleExpiresAt: z.string(),
  absoluteExpiresAt: z.string(),
});

export type LiveSession = z.infer<typeof liveSessionSchema>;

export const liveSessionsBodySchema = z.object({ sessions: z.array(liveSessionSchema) });

/** A 204 answer (`DELETE /api/auth/sessions/{id}`): no body at all. */
export const noContentSchema = z.undefined();

/** `DELETE /api/auth/sessions` ("log out everywhere"). */
export const revokedSessionsBodySchema = z.object({ revoked: z.number().int().nonnegative() });

/** States of one token of a family; see lib/auth/session-family.ts for what each means. */
export const FAMILY_TOKEN_STATES = [
  "current",
  "rotated",
  "reused",
  "superseded",
  "revoked",
  "expired",
] as const;
export type FamilyTokenState = (typeof FAMILY_TOKEN_STATES)[number];

/** How a token came to be: the session's first, a rotation's successor, or a grace sibling. */
export const ISSUED_VIA = ["login", "rotation", "grace"] as const;
export type IssuedVia = (typeof ISSUED_VIA)[number];

export const SESSION_STATUSES = ["active", "revoked", "expired"] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

export const familyTokenSchema = z.object({
  id: z.string(),
  parentId: z.string().nullable(),
  generation: z.number().int(),
  issuedAt: z.string(),
  usedAt: z.string().nullable(),
  reusedAt: z.string().nullable(),
  issuedVia: z.enum(ISSUED_VIA),
  state: z.enum(FAMILY_TOKEN_STATES),
});

export type FamilyToken = z.infer<typeof familyTokenSchema>;

const sessionPolicySchema = z.object({
  accessTokenTtlSeconds: z.number(),
  refreshGraceSeconds: z.number(),
  idleTimeoutSeconds: z.number(),
});

const sessionPolicyOverridesSchema = z.object({
  accessTokenTtlSeconds: z.number().nullable(),
  refreshGraceSeconds: z.number().nullable(),
  idleTimeoutSeconds: z.number().nullable(),
});

/** `GET /api/auth/sessions/current` and `/{id}`: the server's record of one session. */
export const sessionViewSchema = z.object({
  id: z.string(),
  status: z.enum(SESSION_STATUSES),
  createdAt: z.string(),
  lastUsedAt: z.string(),
  idleExpiresAt: z.string(),
  absoluteExpiresAt: z.string(),
  revokedAt: z.string().nullable(),
  /** One of `REVOKE_REASONS`; a string here, so an older row's reason still reads. */
  revokeReason: z.string().nullable(),
  headGeneration: z.number().int(),
  /**
   * RFC 7638 thumbprint of the browser key the session is bound to (device binding), or null for
   * an unbound session. A hash of a public key: nothing to steal.
   */
  deviceKeyThumbprint: z.string().nullable().catch(null),
  policy: z.object({
    defaults: sessionPolicySchema,
    overrides: sessionPolicyOverridesSchema,
    effective: sessionPolicySchema,
  }),
  /** Newest generation first, at most the server's MAX_FAMILY_NODES. */
  tokens: z.array(familyTokenSchema),
  tokenCount: z.number().int(),
});

export type SessionView = z.infer<typeof sessionViewSchema>;

export const sessionViewBodySchema = z.object({ session: sessionViewSchema });
