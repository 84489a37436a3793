/**
 * The client side of the server's one error shape (`apiErrorBodySchema` in lib/contract):
 * `{ "error": { "code": "...", "message": "...", "fields"?: { email?: string[], ... } } }`.
 * Pages branch on `code` (never on `message`, which is for humans and may change).
 */
import { apiErrorBodySchema } from "@/lib/contract";

export type ApiErrorFields = Partial<Record<string, string[]>>;

/**
 * The code this client gives an answer whose body is not what the contract promises. Made up
 * here, never sent by the server.
 */
export const MALFORMED_RESPONSE = "malformed_response";

/** A non-2xx answer from our API, decoded. `code` is `"http_<status>"` when the body had none. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: ApiErrorFields | null;
  /** From the `Retry-After` header (429, 503), in seconds; `null` when absent or an HTTP date. */
  readonly retryAfterSeconds: number | null;

  constructor(options: {
    status: number;
    code: string;
    message: string;
    fields?: ApiErrorFields | null;
    retryAfterSeconds?: number | null;
  }) {
    super(options.message);
    this.name = "ApiError";
    this.status = options.status;
    this.code = options.code;
    this.fields = options.fields ?? null;
    this.retryAfterSeconds = options.retryAfterSeconds ?? null;
  }
}

/**
 * Decodes an error response into an `ApiError`, tolerating bodies that are not our shape (a proxy's
 * HTML 502 page, an empty 500).
 *
 * @example
 * if (!response.ok) throw await readApiError(response);
 */
export async function readApiError(response: Response): Promise<ApiError> {
  const error = await readErrorBody(response);
  return new ApiError({
    status: response.status,
    code: error.code ?? `http_${response.status}`,
    message: error.message ?? (response.statusText || `HTTP ${response.status}`),
    fields: error.fields,
    retryAfterSeconds: readRetryAfterSeconds(response.headers.get("retry-after")),
  });
}

/**
 * `Retry-After` as whole seconds, when it is given as seconds (what this API sends).
 *
 * @example
 * readRetryAfterSeconds("120"); // 120
 * readRetryAfterSeconds("soon"); // null
 */
export function readRetryAfterSeconds(header: string | null): number | null {
  if (header === null || !/^\d+$/.test(header.trim())) return null;
  return Number(header.trim());
}

/**
 * "in 45 seconds", "in 60 minutes", "in about 2 hours": when to try again, for a person.
 *
 * @example
 * describeRetryAfter(90); // "in 2 minutes"
 */
export function describeRetryAfter(seconds: number): string {
  if (seconds < 60) return `in ${Math.max(1, seconds)} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 90) return `in ${minutes} minute${minutes === 1 ? "" : "s"}`;
  const hours = Math.round(minutes / 60);
  return `in about ${hours} hour${hours === 1 ? "" : "s"}`;
}

/**
 * Just the `error.code` of a response, or `null`. Reads a clone, so the caller can still hand the
 * untouched response to whoever asked for it.
 *
 * @example
 * if (response.status === 401 && (await readErrorCode(response)) === ERROR_CODE.tokenExpired) refresh();
 */
export async function readErrorCode(response: Response): Promise<string | null> {
  return (await readErrorBody(response)).code;
}

/**
 * An `ApiError` for a 2xx answer whose body did not match its schema.
 *
 * @example
 * if (!parsed.success) throw malformedResponse(response);
 */
export function malformedResponse(response: Response): ApiError {
  return new ApiError({
    status: response.status,
    code: MALFORMED_RESPONSE,
    message: "Unexpected server answer.",
  });
}

async function readErrorBody(
  response: Response,
): Promise<{ code: string | null; message: string | null; fields: ApiErrorFields | null }> {
  const body: unknown = await response
    .clone()
    .json()
    .catch(() => null);
  const parsed = apiErrorBodySchema.safeParse(body);
  if (!parsed.success) return { code: null, message: null, fields: null };
  const { code, message, fields } = parsed.data.error;
  return { code, message: message ?? null, fields: fields ?? null };
}
