import "server-only";

import type { z } from "zod";
import {
  InvalidJson,
  InvalidRequest,
  PayloadTooLarge,
  UnsupportedMediaType,
} from "@/lib/http/errors";

/** Every JSON body this API accepts is small; refuse anything bigger before parsing. */
export const MAX_JSON_BODY_BYTES = 16 * 1024;

/**
 * Reads, size-caps, parses and validates a JSON request body.
 * Throws UnsupportedMediaType (415), PayloadTooLarge (413), InvalidJson or InvalidRequest (400,
 * with fields).
 *
 * @example
 * const input = await readJsonBody(request, loginSchema);
 */
export async function readJsonBody<S extends z.ZodType>(
  request: Request,
  schema: S,
): Promise<z.output<S>> {
  const contentType = request.headers.get("content-type") ?? "";
  if (!/^application\/json\s*(;|$)/i.test(contentType)) throw new UnsupportedMediaType();
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > MAX_JSON_BODY_BYTES) throw new PayloadTooLarge();

  const bytes = await readCapped(request, MAX_JSON_BODY_BYTES);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new InvalidJson();
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new InvalidJson("The request body must be a JSON object.");
  }
  const result = schema.safeParse(json);
  if (!result.success) throw invalidRequestFrom(result.error);
  return result.data;
}

/**
 * A failed validation as the contract's 400 `invalid_request`, one `fields` entry per path.
 *
 * @example
 * if (!result.success) throw invalidRequestFrom(result.error); // fields: { id: ["Not a session id."] }
 */
export function invalidRequestFrom(error: z.ZodError): InvalidRequest {
  const fields: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const key = issue.path.length ? issue.path.join(".") : "_";
    (fields[key] ??= []).push(issue.message);
  }
  return new InvalidRequest(undefined, fields);
}

/**
 * For routes that read no body (refresh, logout): refuses form, multipart and text bodies with
 * 415, the bodies a cross-site HTML form can send without a CORS preflight. A request with no
 * body, or a JSON one (ignored), passes.
 *
 * @example
 * refuseNonJsonBody(request); // throws UnsupportedMediaType for text/plain
 */
export function refuseNonJsonBody(request: Request): void {
  const contentType = request.headers.get("content-type");
  if (contentType !== null) {
    if (!/^application\/json\s*(;|$)/i.test(contentType)) throw new UnsupportedMediaType();
    return;
  }
  const length = request.headers.get("content-length");
  const hasBody =
    (length !== null && length.trim() !== "0") || request.headers.has("transfer-encoding");
  if (hasBody) throw new UnsupportedMediaType();
}

async function readCapped(request: Request, limit: number): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw new PayloadTooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
