import "server-only";

import { after, NextResponse } from "next/server";
import { AppError } from "@/lib/errors";
import { ERROR_CODE } from "@/lib/contract";
import { classifyDatabaseError } from "@/lib/db/errors";
import { ServiceUnavailable } from "@/lib/http/errors";
import { isDraining, shutdownFinished, trackRequest } from "@/lib/shutdown";
import { getLogger } from "@/lib/ops/logger";

export type ErrorBody = {
  error: { code: string; message: string; fields?: Record<string, string[]> };
};

/**
 * The one error shape of the API.
 *
 * @example
 * return errorResponse(404, ERROR_CODE.notFound, "No such note.");
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

/**
 * Renders an AppError; access-token failures also get `WWW-Authenticate: Bearer` (RFC 6750), and
 * DPoP proof failures `WWW-Authenticate: DPoP` (RFC 9449 §7.1) unless they carry their own (the
 * nonce challenge).
 */
export function appErrorResponse(error: AppError): NextResponse<ErrorBody> {
  const headers = new Headers(error.headers);
  if (error.code === ERROR_CODE.tokenMissing) {
    headers.set("WWW-Authenticate", 'Bearer realm="api"');
  } else if (error.code === ERROR_CODE.tokenExpired || error.code === ERROR_CODE.tokenInvalid) {
    headers.set("WWW-Authenticate", `Bearer realm="api", error="invalid_token"`);
  } else if (headers.has("WWW-Authenticate")) {
    // Already the error's own.
  } else if (error.code === ERROR_CODE.dpopProofRequired) {
    headers.set("WWW-Authenticate", 'DPoP realm="api", algs="ES256"');
  } else if (
    error.code === ERROR_CODE.invalidDpopProof ||
    error.code === ERROR_CODE.dpopProofReplayed
  ) {
    headers.set("WWW-Authenticate", 'DPoP realm="api", error="invalid_dpop_proof", algs="ES256"');
  }
  return errorResponse(error.status, error.code, error.message, {
    ...(error.fields && { fields: error.fields }),
    headers,
  });
}

type Handler<Ctx> = (request: Request, context: Ctx) => Promise<Response>;

/**
 * The outermost layer of every route handler (route handlers use it through `defineRoute`,
 * lib/http/route.ts, which adds the per-route steps inside it): turns AppErrors into their
 * contract response, turns an unavailable database (lib/db/errors.ts) into 503
 * `service_unavailable` with Retry-After, and turns anything else into a bare 500: no stack, no
 * message, and a log line that names only the error class and code (messages can carry user
 * input). While the instance shuts down (lib/shutdown.ts) it refuses new requests with that same
 * 503 and closes each connection after its answer; every request counts out of the drain when
 * its answer has been sent.
 *
 * @example
 * const handler = withErrorHandling(async (request) => { … });
 */
export function withErrorHandling<Ctx>(handler: Handler<Ctx>): Handler<Ctx> {
  return async (request, context) => {
    const finished = trackRequest();
    if (isDraining()) {
      countOutWhenSent(finished);
      return whileDraining(appErrorResponse(new ServiceUnavailable()));
    }
    try {
      const response = await handleErrors(handler, request, context);
      return isDraining() ? whileDraining(response) : response;
    } finally {
      countOutWhenSent(finished);
    }
  };
}

/**
 * IMPORTANT: a request is done when its answer has left, not when the handler returns it. Next
 * still has to write the body; a shutdown that closed and exited at the handler's return cut
 * answers off after their headers (the fault suite saw a rotated cookie arrive without its body).
 * `after()` runs once the response has been sent.
 */
function countOutWhenSent(finished: () => void): void {
  try {
    after(finished);
  } catch {
    // Outside Next's request scope (route handlers called directly by tests): nothing is sent.
    finished();
  }
}

/** An answer sent during shutdown: its connection closes after it, and Next waits for our closers. */
function whileDraining(response: Response): Response {
  response.headers.set("Connection", "close");
  try {
    after(() => shutdownFinished());
  } catch {
    // Outside Next's request scope (route handlers called directly by tests): nothing to hold.
  }
  return response;
}

async function handleErrors<Ctx>(
  handler: Handler<Ctx>,
  request: Request,
  context: Ctx,
): Promise<Response> {
  try {
    return await handler(request, context);
  } catch (error) {
    if (error instanceof AppError) return appErrorResponse(error);
    const where = `${request.method} ${new URL(request.url).pathname}`;
    const database = classifyDatabaseError(error);
    if (database?.unavailable) {
      getLogger().warn(
        { component: "api", where, code: database.code ?? null },
        `${where}: database unavailable (${database.code ?? "no code"})`,
      );
      return appErrorResponse(new ServiceUnavailable());
    }
    const kind = error instanceof Error ? error.name : typeof error;
    const code = database?.code ? ` ${database.code}` : "";
    getLogger().error(
      { component: "api", where, errorClass: kind },
      `${where} failed: ${kind}${code}`,
    );
    if (process.env.NODE_ENV !== "production") console.error(error);
    return errorResponse(
      500,
      ERROR_CODE.internalError,
      "Something went wrong on our side. Try again.",
    );
  }
}
