import { ERROR_CODE } from "@/lib/contract";
import { defineAppError } from "@/lib/errors";

/** Input failed validation; `fields` says which field and why. */
export class InvalidRequest extends defineAppError(
  ERROR_CODE.invalidRequest,
  400,
  "Some fields are not valid.",
) {}
export class InvalidJson extends defineAppError(
  ERROR_CODE.invalidJson,
  400,
  "The request body is not valid JSON.",
) {}
export class UnsupportedMediaType extends defineAppError(
  ERROR_CODE.unsupportedMediaType,
  415,
  "Send the request body as application/json.",
) {}
export class PayloadTooLarge extends defineAppError(
  ERROR_CODE.payloadTooLarge,
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
  ERROR_CODE.serviceUnavailable,
  503,
  "The service is briefly unavailable. Try again in a moment.",
) {
  override readonly headers = {
    "Retry-After": String(SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS),
  };
}
