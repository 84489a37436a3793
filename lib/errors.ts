/**
 * The base of every error the API answers on purpose. Each carries the stable
 * `code` and the HTTP `status` of the contract, and optional per-field messages
 * for forms. `lib/http/respond.ts` renders them as
 * `{ "error": { "code", "message", "fields"? } }`; anything that is not an
 * AppError becomes a generic 500 without details.
 */
export abstract class AppError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;
  readonly fields?: Record<string, string[]>;
  /** Extra response headers this error needs (Retry-After, WWW-Authenticate…). */
  readonly headers: Record<string, string> = {};
  constructor(message: string, fields?: Record<string, string[]>) {
    super(message);
    if (fields) this.fields = fields;
  }
  override get name(): string {
    return this.constructor.name;
  }
}

/**
 * Declares an AppError subclass with a fixed code, status and default message.
 *
 * @example
 * export class EmailTaken extends defineAppError(ERROR_CODE.emailTaken, 409, "…") {}
 */
export function defineAppError(code: string, status: number, message: string) {
  return class extends AppError {
    readonly code = code;
    readonly status = status;
    constructor(detail: string = message, fields?: Record<string, string[]>) {
      super(detail, fields);
    }
  };
}
