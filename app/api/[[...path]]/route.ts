import { ERROR_CODE } from "@/lib/contract";
import { errorResponse } from "@/lib/http/respond";
import { defineRoute } from "@/lib/http/route";

/**
 * Every `/api` path no route claims, for every method → 404 `not_found` in the API's one error
 * shape. Without this, Next.js answers an unknown API path with the HTML not-found page: a client
 * branching on `error.code` gets a document instead, and that page carries the API's
 * `default-src 'none'` CSP rather than the pages' nonce policy. Next.js prefers every more
 * specific route, so this only ever sees paths nothing else answers.
 */
const notFound = defineRoute({ auth: "none" }, () =>
  errorResponse(404, ERROR_CODE.notFound, "There is no such API route."),
);

export const GET = notFound;
export const HEAD = notFound;
export const POST = notFound;
export const PUT = notFound;
export const PATCH = notFound;
export const DELETE = notFound;
export const OPTIONS = notFound;
