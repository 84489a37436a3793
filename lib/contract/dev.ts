/**
 * The inspector's scenarios and the answers of the routes that help them
 * (`/api/auth/expired-access-token`, `/api/auth/dev/*`; lib/dev/scenarios.ts).
 */
import { z } from "zod";
import { sessionViewSchema } from "./sessions";

/** The scenarios the inspector offers, by id (also its cards' `data-testid="scenario-<id>"`). */
export const DEV_SCENARIO_IDS = [
  "expire",
  "burst",
  "replay",
  "lose",
  "second-tab",
  "skew",
] as const;
export type DevScenarioId = (typeof DEV_SCENARIO_IDS)[number];

/** How a presented refresh token was accepted: a rotation, or a grace sibling. */
export const ROTATION_VIA = ["rotated", "grace"] as const;
export type RotationVia = (typeof ROTATION_VIA)[number];

/** `POST /api/auth/expired-access-token`: an already-expired token of the caller's session. */
export const expiredAccessTokenBodySchema = z.object({
  accessToken: z.string().min(1),
  accessTokenExpiresAt: z.string(),
});

/** `POST /api/auth/dev/capture-refresh-token`: the page gets an id, never the token. */
export const captureBodySchema = z.object({
  captureId: z.string(),
  generation: z.number().int(),
  expiresAt: z.string(),
});

/** What the thief was told. */
export const replayVerdictSchema = z.discriminatedUnion("accepted", [
  z.object({ accepted: z.literal(true), via: z.enum(ROTATION_VIA), generation: z.number().int() }),
  z.object({
    accepted: z.literal(false),
    status: z.number().int(),
    code: z.string(),
    message: z.string(),
  }),
]);

export type ReplayVerdict = z.infer<typeof replayVerdictSchema>;

/** `POST /api/auth/dev/replay-refresh-token`. */
export const replayBodySchema = z.object({
  capturedGeneration: z.number().int(),
  verdict: replayVerdictSchema,
  session: sessionViewSchema,
});

/** `POST /api/auth/dev/lose-refresh-response`: the rotation happened; its answer is "lost". */
export const lostAnswerBodySchema = z.object({
  spentGeneration: z.number().int(),
  headGeneration: z.number().int(),
  via: z.enum(ROTATION_VIA),
});
