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
