/**
 * The shape of GET /api/auth/sessions/current as the browser receives it (lib/auth/session-family.ts
 * on the server; dates arrive as ISO strings). Declared here because browser code never imports
 * server modules.
 */
import type { SessionPolicy, SessionPolicyOverrides } from "@/lib/validation/session-policy";

export type FamilyTokenState =
  "current" | "rotated" | "reused" | "superseded" | "revoked" | "expired";

export interface FamilyToken {
  id: string;
  parentId: string | null;
  generation: number;
  issuedAt: string;
  usedAt: string | null;
  reusedAt: string | null;
  issuedVia: "login" | "rotation" | "grace";
  state: FamilyTokenState;
}

export interface SessionView {
  id: string;
  status: "active" | "revoked" | "expired";
  createdAt: string;
  lastUsedAt: string;
  idleExpiresAt: string;
  absoluteExpiresAt: string;
  revokedAt: string | null;
  revokeReason: string | null;
  headGeneration: number;
  policy: {
    defaults: SessionPolicy;
    overrides: SessionPolicyOverrides;
    effective: SessionPolicy;
  };
  tokens: FamilyToken[];
  tokenCount: number;
}

export const SESSION_VIEW_PATH = "/api/auth/sessions/current";
