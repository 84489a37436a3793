import "server-only";

/**
 * The one way from production code into the development area (`lib/dev/`): the inspector's
 * server-assisted scenarios, its policy panel and the end-to-end tests' clock. Everything else in
 * `lib/dev/` is reached only through the functions below, and the lint rules refuse any other
 * import of it from app/, lib/ or components/ (eslint.config.mjs, test/lint/layers.test.ts).
 *
 * Each tool is on only when its flag says so AND the server knows it is local (`isLocal` in
 * lib/env.ts: a loopback HOST, and APP_URL, when set, a loopback origin; `HOST=0.0.0.0` is never
 * local, whatever APP_URL says):
 *
 * - the scenarios and the policy panel: AUTH_DEV_SCENARIOS ("auto" by default: on exactly when
 *   local), and never on a public deployment;
 * - the test clock: AUTH_TEST_CLOCK=1 (opt-in).
 *
 * lib/env.ts already refuses to start with either flag forced on for a server that is not local;
 * the gate checks again at each use, so a configuration that somehow got through still opens
 * nothing. The scenario and panel modules are loaded only once the gate has let a request
 * through (`import()`), so a server with the tools off never even loads their code.
 *
 * Not here, on purpose: "Expire my access token now" (`POST /api/auth/expired-access-token`,
 * lib/auth/expired-access-token.ts) needs no flag, because an expired token grants nothing.
 */
import { type Env, getEnv } from "@/lib/env";
import { ERROR_CODE } from "@/lib/contract";
import { defineAppError } from "@/lib/errors";
import { parseTestClockOffset, TEST_CLOCK_HEADER, TestClockDisabled } from "@/lib/dev/test-clock";

export { TEST_CLOCK_HEADER };

/** What a disabled development route answers: the same as a route that does not exist. */
export class DevScenariosDisabled extends defineAppError(
  ERROR_CODE.notFound,
  404,
  "This development scenario is not enabled on this server (it is on by default for a local server; AUTH_DEV_SCENARIOS=0 turns it off, and it is never on for a public deployment).",
) {}

/** The development tools a route can declare it needs (lib/http/route.ts, `dev`). */
export type DevTool = "scenarios" | "policy-panel";

/**
 * Whether the inspector's scenarios and its policy panel are on: AUTH_DEV_SCENARIOS resolved by
 * lib/env.ts, a local server, and never a public deployment. The inspector page asks this too.
 *
 * @example
 * <Inspector devScenarios={areDevScenariosEnabled()} />
 */
export function areDevScenariosEnabled(env: Env = getEnv()): boolean {
  return env.devScenariosEnabled && env.isLocal && !env.isPublicDeployment;
}

/** The policy panel follows the scenarios' switch (one flag for the inspector's server side). */
export function isSessionPolicyPanelEnabled(env: Env = getEnv()): boolean {
  return areDevScenariosEnabled(env);
}

/** Whether this server honours X-Test-Clock-Offset: AUTH_TEST_CLOCK=1 on a local server. */
export function isTestClockEnabled(env: Env = getEnv()): boolean {
  return env.AUTH_TEST_CLOCK === "1" && env.isLocal;
}

/**
 * Refuses (404 `not_found`) unless the tool is on; routes declare it (`dev:` in defineRoute),
 * which checks it before looking at credentials, so the routes cannot be probed.
 *
 * @example
 * assertDevToolEnabled("scenarios"); // throws DevScenariosDisabled when off
 */
export function assertDevToolEnabled(tool: DevTool, env: Env = getEnv()): void {
  const enabled =
    tool === "scenarios" ? areDevScenariosEnabled(env) : isSessionPolicyPanelEnabled(env);
  if (!enabled) throw new DevScenariosDisabled();
}

/**
 * The scenarios' server side (lib/dev/scenarios.ts), once the gate lets the request through.
 *
 * @example
 * const { captureRefreshToken } = await loadDevScenarios();
 */
export async function loadDevScenarios(): Promise<typeof import("@/lib/dev/scenarios")> {
  assertDevToolEnabled("scenarios");
  return import("@/lib/dev/scenarios");
}

/**
 * The policy panel's server side (lib/dev/policy-panel.ts), once the gate lets the request through.
 *
 * @example
 * const { setSessionPolicy } = await loadPolicyPanel();
 */
export async function loadPolicyPanel(): Promise<typeof import("@/lib/dev/policy-panel")> {
  assertDevToolEnabled("policy-panel");
  return import("@/lib/dev/policy-panel");
}

/**
 * The clock offset an end-to-end test asks for, in milliseconds: 0 when the request carries no
 * X-Test-Clock-Offset header. A header on a server without the test clock is refused with 400
 * `test_clock_disabled` (a forgotten flag is noticed, never silently ignored).
 *
 * @example
 * const offsetMs = readTestClockOffset(request); // "X-Test-Clock-Offset: 360" → 360000
 */
export function readTestClockOffset(request: Request, env: Env = getEnv()): number {
  const header = request.headers.get(TEST_CLOCK_HEADER);
  if (header === null) return 0;
  if (!isTestClockEnabled(env)) throw new TestClockDisabled();
  return parseTestClockOffset(header);
}
