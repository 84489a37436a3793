import { defineAppError } from "@/lib/errors";

/** Input failed validation; `fields` says which field and why. */
export class InvalidRequest extends defineAppError(
  "invalid_request",
  400,
  "Some fields are not valid.",
) {}
export class InvalidJson extends defineAppError(
  "invalid_json",
  400,
  "The request body is not valid JSON.",
) {}
export class UnsupportedMediaType extends defineAppError(
  "unsupported_media_type",
  415,
  "Send the request body as application/json.",
) {}
export class PayloadTooLarge extends defineAppError(
  "payload_too_large",
  413,
  "The request body is too large.",
) {}

/** Seconds a client is asked to wait (Retry-After) when the database is unavailable. */
export const SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS = 2;

/**
 * The database cannot be reached or a bounded wait ran out (lib/db/errors.ts), or this
 * instance is shutting down (lib/shutdown.ts). Nothing was decided: the client keeps its
 * session and tries again after Retry-After.
 */
export class ServiceUnavailable extends defineAppError(
  "service_unavailable",
  503,
  "The service is briefly unavailable. Try again in a moment.",
) {
  override readonly headers = {
    "Retry-After": String(SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS),
  };
}
