/**
 * Where the browser goes when a session ends, and what the login page says about it.
 *
 * Two jobs, both about the `/login?reason=...&next=...` URL:
 * - `reason` is a sign-out code; `describeSignOutReason` turns it into a sentence. Unknown codes get
 *   a generic sentence, never the raw query string, so a crafted link cannot put words on the page.
 * - `next` is where the user was going. It comes back to us from the query string, so it is
 *   attacker-controlled: `sanitizeNextPath` only lets same-origin paths through, which closes the
 *   classic open redirect (`/login?next=//evil.example`).
 */

import { SIGN_OUT_REASON, SIGN_OUT_REASONS, type SignOutReason } from "@/lib/contract";

export { SIGN_OUT_REASONS, type SignOutReason };

export const LOGIN_PATH = "/login";

const SIGN_OUT_MESSAGES: Record<SignOutReason, string> = {
  [SIGN_OUT_REASON.refreshTokenReused]:
    "You were signed out because your session was used elsewhere. If that wasn't you, change your password.",
  [SIGN_OUT_REASON.sessionExpired]: "Your session expired. Please sign in again.",
  [SIGN_OUT_REASON.sessionRevoked]:
    "Your session was ended from another device. Please sign in again.",
  [SIGN_OUT_REASON.refreshTokenInvalid]: "Your session is no longer valid. Please sign in again.",
  [SIGN_OUT_REASON.refreshTokenMissing]: "Please sign in to continue.",
  [SIGN_OUT_REASON.dpopProofRequired]:
    "This browser no longer holds the key of your session (site data was cleared, or the session came from elsewhere). Please sign in again.",
  [SIGN_OUT_REASON.invalidDpopProof]:
    "Your session could not be renewed from this browser. Check that the device's clock is right, then sign in again.",
  [SIGN_OUT_REASON.dpopProofReplayed]:
    "Your session could not be renewed from this browser. Please sign in again.",
  [SIGN_OUT_REASON.dpopKeyMismatch]:
    "You were signed out because your session was presented from another device. If that wasn't you, change your password.",
  [SIGN_OUT_REASON.loggedOut]: "You have signed out.",
  [SIGN_OUT_REASON.loggedOutElsewhere]: "You signed out in another tab.",
};

const GENERIC_SIGN_OUT_MESSAGE = "You have been signed out. Please sign in again.";

// Browsers strip tab/CR/LF anywhere in a URL, so "/\t/evil.example" becomes "//evil.example".
// Refusing every control character is simpler than reasoning about which ones are stripped.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

// Any well-formed origin works: we only compare it with itself to detect "left this origin".
const PROBE_ORIGIN = "http://probe.invalid";

/**
 * Narrows an unknown value (a query param, a broadcast message field) to a sign-out reason.
 *
 * @example
 * isSignOutReason(SIGN_OUT_REASON.sessionExpired); // true
 * isSignOutReason("<script>");        // false
 */
export function isSignOutReason(value: unknown): value is SignOutReason {
  return typeof value === "string" && (SIGN_OUT_REASONS as readonly string[]).includes(value);
}

/**
 * The sentence the login page shows for a `reason` query param, or `null` when there is none.
 *
 * @example
 * describeSignOutReason(searchParams.get("reason"));
 * // SIGN_OUT_REASON.refreshTokenReused -> "You were signed out because your session was used elsewhere. ..."
 * // "made-up"              -> "You have been signed out. Please sign in again."
 * // null                   -> null (show nothing)
 */
export function describeSignOutReason(code: string | null | undefined): string | null {
  if (!code) return null;
  return isSignOutReason(code) ? SIGN_OUT_MESSAGES[code] : GENERIC_SIGN_OUT_MESSAGE;
}

/**
 * Whether `raw` is a path on this origin: one leading `/`, not `//` (protocol-relative URL) and
 * not `/\` (browsers read the backslash as a slash), and no control characters. Used for `next`
 * params and, by `apiFetch`, to make sure the bearer token never leaves this origin.
 *
 * @example
 * isSameOriginPath("/notes?page=2"); // true
 * isSameOriginPath("//evil.example"); // false
 */
export function isSameOriginPath(raw: string | null | undefined): raw is string {
  if (typeof raw !== "string" || !raw.startsWith("/")) return false;
  if (raw.startsWith("//") || raw.startsWith("/\\")) return false;
  if (CONTROL_CHARACTERS.test(raw)) return false;
  // Belt and braces: let the URL parser have the last word on where this would actually go.
  try {
    return new URL(raw, PROBE_ORIGIN).origin === PROBE_ORIGIN;
  } catch {
    return false;
  }
}

/**
 * `raw` if it is a safe same-origin path (see `isSameOriginPath`), otherwise `fallback`.
 *
 * @example
 * // on the login page, after a successful login:
 * router.replace(sanitizeNextPath(searchParams.get("next"), "/dashboard"));
 * sanitizeNextPath("/\\evil.example", "/dashboard"); // "/dashboard"
 */
export function sanitizeNextPath(raw: string | null | undefined, fallback = "/"): string {
  return isSameOriginPath(raw) ? raw : fallback;
}

/**
 * The login URL for a sign-out: `/login?reason=<code>&next=<path>`. An unsafe `next`, or one that
 * points at the login page itself, is dropped rather than passed on.
 *
 * @example
 * buildLoginUrl({ reason: SIGN_OUT_REASON.sessionExpired, next: "/notes?page=2" });
 * // "/login?reason=<that reason>&next=%2Fnotes%3Fpage%3D2"
 * buildLoginUrl({ reason: SIGN_OUT_REASON.loggedOut }); // "/login?reason=<that reason>"
 */
export function buildLoginUrl(
  options: { reason?: SignOutReason | null; next?: string | null } = {},
): string {
  const params = new URLSearchParams();
  if (options.reason) params.set("reason", options.reason);
  const next = options.next;
  if (isSameOriginPath(next) && !isLoginPath(next)) params.set("next", next);
  const query = params.toString();
  return query ? `${LOGIN_PATH}?${query}` : LOGIN_PATH;
}

function isLoginPath(path: string): boolean {
  return (
    path === LOGIN_PATH || path.startsWith(`${LOGIN_PATH}?`) || path.startsWith(`${LOGIN_PATH}/`)
  );
}
