import "server-only";

import { NextResponse } from "next/server";
import { AppError } from "@/lib/errors";
import { runWithClockOffset } from "@/lib/auth/clock";
import { assertSameOriginRequest } from "@/lib/http/csrf";
import { readTestClockOffset } from "@/lib/http/test-clock";

export type ErrorBody = {
  error: { code: string; message: string; fields?: Record<string, string[]> };
};

/**
 * The one error shape of the API.
 *
 * @example
 * return errorResponse(404, "not_found", "No such note.");
 */
export function errorResponse(
  status: number,
  code: string,
  message: string,
  init?: { fields?: Record<string, string[]>; headers?: HeadersInit },
): NextResponse<ErrorBody> {
  const body: ErrorBody = {
    error: { code, message, ...(init?.fields && { fields: init.fields }) },
  };
  return NextResponse.json(body, { status, headers: init?.headers });
}

/** Renders an AppError; access-token failures also get `WWW-Authenticate: Bearer` (RFC 6750). */
export function appErrorResponse(error: AppError): NextResponse<ErrorBody> {
  const headers = new Headers(error.headers);
  if (error.code === "token_missing") {
    headers.set("WWW-Authenticate", 'Bearer realm="api"');
  } else if (error.code === "token_expired" || error.code === "token_invalid") {
    headers.set("WWW-Authenticate", `Bearer realm="api", error="invalid_token"`);
  }
  return errorResponse(error.status, error.code, error.message, {
    ...(error.fields && { fields: error.fields }),
    headers,
  });
}

type Handler<Ctx> = (request: Request, context: Ctx) => Promise<Response>;

/**
 * Wraps a route handler: refuses cross-site state-changing requests (403,
 * lib/http/csrf.ts), applies an end-to-end test's clock offset where that is
 * enabled (lib/http/test-clock.ts), turns AppErrors into their contract response, and turns
 * anything unexpected into a bare 500: no stack, no message, and a log line
 * that names only the error class (messages can carry user input).
 *
 * @example
 * export const POST = withErrorHandling(async (request) => { … });
 */
export function withErrorHandling<Ctx>(handler: Handler<Ctx>): Handler<Ctx> {
  return async (request, context) => {
    try {
      assertSameOriginRequest(request);
      const clockOffsetMs = readTestClockOffset(request);
      if (clockOffsetMs !== 0) {
        return await runWithClockOffset(clockOffsetMs, () => handler(request, context));
      }
      return await handler(request, context);
    } catch (error) {
      if (error instanceof AppError) return appErrorResponse(error);
      const kind = error instanceof Error ? error.name : typeof error;
      console.error(`[api] ${request.method} ${new URL(request.url).pathname} failed: ${kind}`);
      if (process.env.NODE_ENV !== "production") console.error(error);
      return errorResponse(500, "internal_error", "Something went wrong on our side. Try again.");
    }
  };
}
