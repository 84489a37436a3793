import "server-only";

/**
 * `defineRoute`: every API route handler is a declaration and a function. The declaration says,
 * in one place, everything the route needs before its own work starts; the function calls one
 * `lib/` function and shapes the answer.
 *
 * ```ts
 * export const DELETE = defineRoute(
 *   { auth: "bearer", session: "live", params: sessionParamsSchema },
 *   async ({ claims, params }) => {
 *     await revokeUserSession(claims.sub, params.id);
 *     return new NextResponse(null, { status: 204 });
 *   },
 * );
 * ```
 *
 * What runs, in this order (the order is part of the contract: it decides which refusal a request
 * with several faults gets):
 *
 * 0. metrics: the whole answer is timed into `http_request_duration_seconds` (lib/ops/metrics.ts);
 * 1. shutdown: while the instance drains, 503 at once (lib/http/respond.ts, `withErrorHandling`);
 * 2. `csrf` (default on): cross-site state-changing requests get 403 (lib/http/csrf.ts);
 * 3. `testClock` (default on): X-Test-Clock-Offset moves "now" for this request, through the dev
 *    gate (lib/dev/gate.ts), which refuses the header unless the test clock is on;
 * 4. `dev`: a development tool's route answers 404 unless the tool is on, before looking at
 *    credentials, so it cannot be probed;
 * 5. `auth: "bearer"` (or `"bearer+refresh-cookie"`): the access token's claims, or 401;
 * 6. `params`: the path's parameters, validated (400 `invalid_request` with `fields`);
 * 7. `body`: a zod schema (415 / 413 / 400), or `"none"`: refuse form and text bodies (415);
 * 8. `auth: "refresh-cookie"` (or `"bearer+refresh-cookie"`): the raw refresh token, or
 *    undefined when none was sent; 400 `refresh_cookie_ambiguous` for two.
 *    `auth: "refresh-cookies"`: every refresh-cookie value sent (none, one or several), never
 *    refused: ending a session must work whatever a planted cookie added (lib/auth/cookies.ts);
 * 9. `session: "live"`: the token's session must be live in the database, or 401
 *    `session_revoked` (lib/auth/live-session.ts);
 * 10. the handler. An AppError it throws goes through `onError` when the route declares one (the
 *     refresh route clears the cookie there), then is answered in the one error shape; an
 *     unavailable database is 503; anything else a bare 500 (lib/http/respond.ts).
 */
import type { NextResponse } from "next/server";
import type { z } from "zod";
import { authenticateRequest } from "@/lib/auth/authenticate";
import { runWithClockOffset } from "@/lib/auth/clock";
import { readRefreshCookie, readRefreshCookieValues } from "@/lib/auth/cookies";
import { assertLiveSession } from "@/lib/auth/live-session";
import type { AccessTokenClaims } from "@/lib/auth/tokens";
import { type DevTool, assertDevToolEnabled, readTestClockOffset } from "@/lib/dev/gate";
import { AppError } from "@/lib/errors";
import { invalidRequestFrom, readJsonBody, refuseNonJsonBody } from "@/lib/http/body";
import { assertSameOriginRequest } from "@/lib/http/csrf";
import { type ErrorBody, appErrorResponse, withErrorHandling } from "@/lib/http/respond";
import { timeRoute } from "@/lib/ops/metrics";

type Auth = "none" | "bearer" | "refresh-cookie" | "bearer+refresh-cookie" | "refresh-cookies";
type BodyDeclaration = z.ZodType | (() => z.ZodType) | "none";
type ParamsDeclaration = z.ZodType<Record<string, unknown>>;

export type RouteDeclaration<
  A extends Auth,
  B extends BodyDeclaration | undefined,
  P extends ParamsDeclaration | undefined,
> = {
  /**
   * Who the caller is: nobody, the Bearer access token, the refresh cookie, or both; or, for
   * logout, every refresh-cookie value the request carries (never refused for being several).
   */
  auth: A;
  /** "live": the access token's session must still be live in the database (sensitive actions). */
  session?: A extends "bearer" | "bearer+refresh-cookie" ? "live" : never;
  /** The JSON body's schema (or a function that builds it per request), or "none" to refuse one. */
  body?: B;
  /** The path parameters' schema (`app/api/…/[id]/route.ts`). */
  params?: P;
  /** A development tool this route belongs to: 404 unless lib/dev/gate.ts says it is on. */
  dev?: DevTool;
  /** Refuse cross-site state-changing requests (lib/http/csrf.ts). Default: true. */
  csrf?: boolean;
  /** Honour X-Test-Clock-Offset where the test clock is on (lib/dev/gate.ts). Default: true. */
  testClock?: boolean;
  /**
   * How this route answers an AppError its handler threw: receives the contract response and
   * returns the one to send. Refusals of the declared steps above never come here.
   */
  onError?: (
    error: AppError,
    response: NextResponse<ErrorBody>,
    request: Request,
  ) => NextResponse<ErrorBody>;
};

type SchemaOf<B> = B extends () => infer S ? S : B;

/** What the handler receives: only what its declaration asked for. */
export type RouteInput<A extends Auth, B, P> = { request: Request } & (A extends
  "bearer" | "bearer+refresh-cookie"
  ? { claims: AccessTokenClaims }
  : unknown) &
  (A extends "refresh-cookie" | "bearer+refresh-cookie"
    ? { refreshToken: string | undefined }
    : unknown) &
  (A extends "refresh-cookies" ? { refreshTokens: string[] } : unknown) &
  (SchemaOf<B> extends z.ZodType ? { body: z.output<SchemaOf<B>> } : unknown) &
  (P extends z.ZodType ? { params: z.output<P> } : unknown);

/** What Next passes a route handler besides the request. */
export type RouteContext = { params: Promise<Record<string, string | string[]>> };

/**
 * Declares a route handler (see the module comment for what each part does and in which order).
 *
 * @example
 * export const POST = defineRoute({ auth: "none", body: loginSchema }, async ({ request, body }) =>
 *   sessionResponse(request, await loginUser(body, getClientInfo(request))),
 * );
 */
export function defineRoute<
  A extends Auth,
  B extends BodyDeclaration | undefined = undefined,
  P extends ParamsDeclaration | undefined = undefined,
>(
  declaration: RouteDeclaration<A, B, P>,
  handler: (input: RouteInput<A, B, P>) => Promise<Response> | Response,
): (request: Request, context: RouteContext) => Promise<Response> {
  const handle = withErrorHandling<RouteContext>(async (request, context) => {
    if (declaration.csrf !== false) assertSameOriginRequest(request);
    const offsetMs = declaration.testClock === false ? 0 : readTestClockOffset(request);
    const run = () => runDeclared(declaration, handler, request, context);
    return offsetMs !== 0 ? runWithClockOffset(offsetMs, run) : run();
  });
  // Outermost: every answer is timed and counted by route and status, 503s and 500s included.
  return (request, context) => timeRoute(request, context, () => handle(request, context));
}

async function runDeclared<A extends Auth, B, P>(
  declaration: RouteDeclaration<A, BodyDeclaration | undefined, ParamsDeclaration | undefined>,
  handler: (input: RouteInput<A, B, P>) => Promise<Response> | Response,
  request: Request,
  context: RouteContext | undefined,
): Promise<Response> {
  const { auth } = declaration;
  if (declaration.dev) assertDevToolEnabled(declaration.dev);
  const input: Record<string, unknown> = { request };
  if (auth === "bearer" || auth === "bearer+refresh-cookie") {
    input.claims = await authenticateRequest(request);
  }
  if (declaration.params) {
    input.params = await readParams(declaration.params, context);
  }
  if (declaration.body === "none") {
    refuseNonJsonBody(request);
  } else if (declaration.body) {
    const schema = typeof declaration.body === "function" ? declaration.body() : declaration.body;
    input.body = await readJsonBody(request, schema);
  }
  if (auth === "refresh-cookie" || auth === "bearer+refresh-cookie") {
    input.refreshToken = readRefreshCookie(request);
  } else if (auth === "refresh-cookies") {
    input.refreshTokens = readRefreshCookieValues(request);
  }
  if (declaration.session === "live") {
    await assertLiveSession(input.claims as AccessTokenClaims);
  }
  try {
    return await handler(input as RouteInput<A, B, P>);
  } catch (error) {
    if (!declaration.onError || !(error instanceof AppError)) throw error;
    return declaration.onError(error, appErrorResponse(error), request);
  }
}

/** The path's parameters through their schema; a failure names each bad parameter. */
async function readParams(
  schema: ParamsDeclaration,
  context: RouteContext | undefined,
): Promise<unknown> {
  const result = schema.safeParse((await context?.params) ?? {});
  if (!result.success) throw invalidRequestFrom(result.error);
  return result.data;
}
