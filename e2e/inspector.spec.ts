/**
 * The inspector (/inspector): every scenario button runs a real flow against the real server, and
 * each test checks the outcome three ways:
 * - on the page: the verdict, the wrapper's timeline, the family tree, the sign-out reason;
 * - on the network: what the browser actually sent (AuthNetwork);
 * - on the server: the session as GET /api/auth/sessions/{id} reports it to a separate API login,
 *   outside the browser, so it does not depend on the page's own access token.
 *
 * The e2e server runs with AUTH_DEV_SCENARIOS=1 (playwright.config.ts), the app's 5-minute access
 * tokens and the default grace bound. No test here comes near five minutes, so every refresh on
 * the wire is one a scenario caused. Each test signs up an account of its own: the scenarios
 * revoke sessions and the assertions read the session family from its first generation.
 *
 * The last test also takes the README's screenshots (UPDATE_SCREENSHOTS=1 writes them to
 * docs/screenshots/).
 */
import fs from "node:fs/promises";
import type { APIRequestContext, Locator, Page, TestInfo } from "@playwright/test";
import type { DevScenarioId } from "@/lib/contract";
import { readJwtClaims } from "playwright-token-kit";
import { AppHeader } from "./pages/app-header";
import { LoginPage } from "./pages/login-page";
import { RegisterPage } from "./pages/register-page";
import {
  accessHeaders,
  createDeviceKey,
  expect,
  expectSignedOut,
  type Credentials,
  presentRefreshToken,
  proofHeader,
  readRefreshCookie,
  test,
} from "./fixtures";

/**
 * The README's screenshots are rewritten only on request (`UPDATE_SCREENSHOTS=1`); otherwise
 * they go to the test's output folder, so an ordinary run (or several copies of this test at
 * once, under --repeat-each) never touches tracked files.
 */
const screenshotDir = (testInfo: TestInfo) =>
  process.env.UPDATE_SCREENSHOTS === "1" ? "docs/screenshots" : testInfo.outputPath("screenshots");

type ScenarioId = DevScenarioId;
/** A timeline entry's data, as its `data-*` attributes (`data-fact-refreshes` → `fact-refreshes`). */
type TimelineEntry = Record<string, string>;
/** What an entry must carry: each named attribute equal to the string, or matching the pattern. */
type EntryPattern = Record<string, string | RegExp>;
type ServerSession = {
  id: string;
  status: string;
  revokeReason: string | null;
  headGeneration: number;
  tokens: Array<{ generation: number; state: string; issuedVia: string }>;
};

/** /inspector, as a page object. */
class InspectorPage {
  readonly familyNodes: Locator;
  readonly timelineEntries: Locator;
  readonly endedSessionBanner: Locator;

  constructor(readonly page: Page) {
    this.familyNodes = page.getByTestId("family-node");
    this.timelineEntries = page.getByTestId("timeline-entry");
    this.endedSessionBanner = page.getByTestId("session-ended-banner");
  }

  scenario(id: ScenarioId): Locator {
    return this.page.getByTestId(`scenario-${id}`);
  }

  verdict(id: ScenarioId): Locator {
    return this.scenario(id).getByTestId("scenario-verdict");
  }

  async run(id: ScenarioId, timeout = 15_000): Promise<void> {
    await this.scenario(id).getByRole("button").click();
    await expect(this.verdict(id)).toBeVisible({ timeout });
  }

  /** The timeline's entries, as data, after the latest start marker of scenario `id`. */
  async timelineSince(id: ScenarioId): Promise<TimelineEntry[]> {
    const entries = await readEntries(this.timelineEntries);
    const start = entries.findLastIndex(
      (e) => e.type === "scenario" && e.marker === "start" && e.scenario === id,
    );
    expect(start, `a start marker of "${id}" in the timeline`).toBeGreaterThanOrEqual(0);
    return entries.slice(start + 1);
  }

  /** Waits until the tree shows `generation` as the head, i.e. the page re-read the server view. */
  async expectHead(generation: number): Promise<void> {
    await expect(this.page.getByTestId("session-view")).toBeVisible();
    await expect(
      this.familyNodes.and(this.page.locator(`[data-generation="${generation}"]`)).first(),
    ).toBeVisible();
  }
}

async function signUpAndOpenInspector(page: Page, user: Credentials): Promise<InspectorPage> {
  const register = new RegisterPage(page);
  await register.goto();
  await register.register(user);
  await expect(page).toHaveURL("/dashboard");
  await page
    .getByRole("navigation", { name: "Main" })
    .getByRole("link", { name: "Inspector" })
    .click();
  await expect(page).toHaveURL("/inspector");
  const inspector = new InspectorPage(page);
  await expect(inspector.familyNodes.first()).toBeVisible();
  return inspector;
}

/** The `sid` claim of an access token: the session it belongs to. */
function sessionIdOf(accessToken: string): string {
  return String(readJwtClaims(accessToken).sid);
}

/**
 * The server's record of one of the user's sessions, read through the API by a separate login
 * (its own session), so it works whatever the browser's session has become.
 */
async function serverSession(
  request: APIRequestContext,
  user: Credentials,
  sessionId: string,
): Promise<ServerSession> {
  const device = createDeviceKey();
  const login = await request.post("/api/auth/login", {
    data: { email: user.email, password: user.password },
    headers: await proofHeader(request, device, "/api/auth/login"),
  });
  expect(login.status(), await login.text()).toBe(200);
  const { accessToken } = (await login.json()) as { accessToken: string };
  const path = `/api/auth/sessions/${sessionId}`;
  const answer = await request.get(path, {
    headers: await accessHeaders(request, device, "GET", path, accessToken),
  });
  expect(answer.status(), await answer.text()).toBe(200);
  return ((await answer.json()) as { session: ServerSession }).session;
}

/** Each entry's `data-*` attributes (without the prefix and the test id). */
function readEntries(entries: Locator): Promise<TimelineEntry[]> {
  return entries.evaluateAll((items) =>
    items.map((item) =>
      Object.fromEntries(
        [...item.attributes]
          .filter((a) => a.name.startsWith("data-") && a.name !== "data-testid")
          .map((a) => [a.name.slice("data-".length), a.value]),
      ),
    ),
  );
}

const matches = (entry: TimelineEntry, pattern: EntryPattern) =>
  Object.entries(pattern).every(([name, want]) => {
    const value = entry[name];
    return value !== undefined && (typeof want === "string" ? value === want : want.test(value));
  });

/** Asserts that `entries` holds an entry matching each pattern, in this order (others may come between). */
function expectInOrder(entries: TimelineEntry[], patterns: EntryPattern[]): void {
  let next = 0;
  for (const entry of entries)
    if (next < patterns.length && matches(entry, patterns[next]!)) next++;
  const show = (items: object[]) => items.map((item) => JSON.stringify(item)).join("\n  ");
  expect(next, `expected, in order:\n  ${show(patterns)}\nin:\n  ${show(entries)}`).toBe(
    patterns.length,
  );
}

const countType = (entries: TimelineEntry[], type: string) =>
  entries.filter((e) => e.type === type).length;

test("Expire my access token now: the next call goes 401 → one refresh → retry", async ({
  page,
  newUser,
  authNetwork,
  api,
}) => {
  const inspector = await signUpAndOpenInspector(page, newUser);
  const sessionId = sessionIdOf(await authNetwork.lastAccessToken());
  const before = await serverSession(api, newUser, sessionId);
  authNetwork.clear();

  await inspector.run("expire");

  const verdict = inspector.verdict("expire");
  await expect(verdict).toHaveAttribute("data-tone", "ok");
  await expect(verdict).toHaveAttribute("data-fact-code", "token_expired");
  await expect(verdict).toHaveAttribute("data-fact-refreshes", "1");
  await expect(verdict).toHaveAttribute("data-fact-retried", "true");
  await expect(verdict).toHaveAttribute("data-fact-status", "200");
  // The lesson reads expected-versus-observed first, then the prose.
  await expect(inspector.scenario("expire").getByRole("heading")).toHaveText(
    "A token that dies early",
  );
  const checks = inspector.verdict("expire").getByTestId("scenario-check");
  await expect(checks).toHaveCount(3);
  await expect(checks.and(page.locator('[data-ok="true"]'))).toHaveCount(3);
  expect(
    await inspector
      .verdict("expire")
      .evaluate((box) => box.firstElementChild?.getAttribute("data-testid")),
  ).toBe("scenario-checks");
  expectInOrder(await inspector.timelineSince("expire"), [
    { type: "token_replaced", token: /^…/ },
    { type: "request", method: "GET", path: "/api/me" },
    { type: "unauthorized", path: "/api/me", code: "token_expired" },
    { type: "refresh_start", trigger: "unauthorized" },
    { type: "rotation", cause: "refresh" },
    { type: "retry", path: "/api/me" },
    { type: "retry_result", path: "/api/me", status: "200" },
    { type: "scenario", marker: "verdict", scenario: "expire", tone: "ok", "fact-refreshes": "1" },
  ]);
  const network = (await authNetwork.exchanges()).map((e) => ({
    method: e.method,
    path: e.path,
    status: String(e.status),
    code: e.code ?? "",
    bearer: String(e.accessToken !== null),
  }));
  expectInOrder(network, [
    { method: "POST", path: "/api/auth/expired-access-token", status: "200", bearer: "true" },
    { method: "GET", path: "/api/me", status: "401", code: "token_expired", bearer: "true" },
    { method: "POST", path: "/api/auth/refresh", status: "200" },
    { method: "GET", path: "/api/me", status: "200", bearer: "true" },
  ]);

  const after = await serverSession(api, newUser, sessionId);
  expect(after.status).toBe("active");
  expect(after.headGeneration).toBeGreaterThan(before.headGeneration);
  expect(after.tokens.filter((t) => t.state === "current")).toEqual([
    expect.objectContaining({ generation: after.headGeneration }),
  ]);
  await inspector.expectHead(after.headGeneration);
  await expect(inspector.familyNodes.and(page.locator('[data-state="current"]'))).toHaveCount(1);
});

test("Fire 10 requests at once: ten 401s, one refresh, ten retries", async ({
  page,
  newUser,
  authNetwork,
  api,
}) => {
  const inspector = await signUpAndOpenInspector(page, newUser);
  const sessionId = sessionIdOf(await authNetwork.lastAccessToken());
  authNetwork.clear();

  await inspector.run("burst");

  const verdict = inspector.verdict("burst");
  await expect(verdict).toHaveAttribute("data-tone", "ok");
  for (const [fact, value] of Object.entries({
    requests: "10",
    unauthorized: "10",
    refreshes: "1",
    retries: "10",
    ok: "10",
  })) {
    await expect(verdict).toHaveAttribute(`data-fact-${fact}`, value);
  }
  const timeline = await inspector.timelineSince("burst");
  const burst = timeline.slice(
    timeline.findIndex((e) => e.type === "request" && e.path === "/api/me"),
  );
  expect(countType(burst, "unauthorized")).toBe(10);
  expect(countType(burst, "refresh_start")).toBe(1);
  expect(countType(burst, "retry")).toBe(10);

  // On the wire, from the first GET /api/me: ten 401s, one refresh, ten retries that succeed.
  const exchanges = await authNetwork.exchanges();
  const fromBurst = exchanges.slice(exchanges.findIndex((e) => e.path === "/api/me"));
  const me = fromBurst.filter((e) => e.path === "/api/me");
  expect(me.filter((e) => e.status === 401 && e.code === "token_expired")).toHaveLength(10);
  expect(me.filter((e) => e.status === 200)).toHaveLength(10);
  expect(fromBurst.filter((e) => e.path === "/api/auth/refresh")).toHaveLength(1);

  const after = await serverSession(api, newUser, sessionId);
  expect(after.status).toBe("active");
  expect(after.tokens.map((t) => t.state)).not.toContain("reused");
});

test("Replay my previous refresh token, as a thief would: the family is revoked and the page says why", async ({
  page,
  context,
  newUser,
  authNetwork,
  api,
}) => {
  test.setTimeout(90_000);
  const inspector = await signUpAndOpenInspector(page, newUser);
  const sessionId = sessionIdOf(await authNetwork.lastAccessToken());
  authNetwork.clear();

  await inspector.run("replay", 45_000);

  // The page: the verdict, the reused token in the tree, every unused token revoked, the banner.
  await expect(inspector.verdict("replay")).toHaveAttribute("data-tone", "error");
  await expect(inspector.verdict("replay")).toHaveAttribute("data-fact-accepted", "false");
  await expect(inspector.verdict("replay")).toHaveAttribute("data-fact-status", "401");
  await expect(inspector.verdict("replay")).toHaveAttribute(
    "data-fact-code",
    "refresh_token_reused",
  );
  await expect(inspector.verdict("replay")).toHaveAttribute("data-fact-session", "revoked");
  await expect(page.getByTestId("session-view")).toHaveAttribute("data-status", "revoked");
  await expect(page.getByTestId("revoke-reason")).toHaveAttribute(
    "data-reason",
    "refresh_token_reused",
  );
  await expect(inspector.familyNodes.and(page.locator('[data-state="reused"]'))).toHaveCount(1);
  await expect(inspector.familyNodes.and(page.locator('[data-state="current"]'))).toHaveCount(0);
  await expect(
    inspector.familyNodes.and(page.locator('[data-state="revoked"]')).first(),
  ).toBeVisible();
  await expect(inspector.endedSessionBanner).toHaveAttribute(
    "data-revoke-reason",
    "refresh_token_reused",
  );
  expectInOrder(await inspector.timelineSince("replay"), [
    { type: "scenario", marker: "note", scenario: "replay", "fact-generation": /^\d+$/ },
    { type: "refresh_start", trigger: "manual" },
    { type: "rotation", cause: "refresh" },
    { type: "request", method: "POST", path: "/api/auth/dev/replay-refresh-token" },
    {
      type: "scenario",
      marker: "verdict",
      scenario: "replay",
      "fact-code": "refresh_token_reused",
      "fact-session": "revoked",
    },
  ]);

  // The server: revoked for reuse, and exactly one token is marked as the one that came back.
  const revoked = await serverSession(api, newUser, sessionId);
  expect(revoked).toMatchObject({ status: "revoked", revokeReason: "refresh_token_reused" });
  expect(revoked.tokens.filter((t) => t.state === "reused")).toHaveLength(1);
  const newestCookie = (await readRefreshCookie(context)).value;

  // The victim's next refresh is refused, and the login page says why.
  await page.getByRole("button", { name: "Make the next refresh now" }).click();

  await expectSignedOut(page, "refresh_token_reused");
  await expect(page).toHaveURL("/login?reason=refresh_token_reused&next=%2Finspector");
  // (The code is in the URL above; the answer's body may be gone once the page has navigated.)
  expect(await authNetwork.log()).toContainEqual(
    expect.stringMatching(/^POST \/api\/auth\/refresh → 401( refresh_token_reused)?$/),
  );
  expect(await presentRefreshToken(api, newestCookie)).toBe("401 refresh_token_reused");

  // Signing in again and reopening the inspector: the evidence is still there.
  await new LoginPage(page).login(newUser);
  await expect(page).toHaveURL("/inspector");
  const earlier = page.getByTestId("earlier-load");
  await expect(earlier).toHaveCount(1);
  // The load ended with the sign-out, or with telling the other tabs about it.
  await expect(earlier).toHaveAttribute("data-end-type", /^(signed_out|broadcast_sent)$/);
  expect(
    (await earlier.getAttribute("data-end-reason")) ??
      (await earlier.getAttribute("data-end-message-reason")),
  ).toBe("refresh_token_reused");
  const earlierTypes = await earlier
    .getByTestId("earlier-timeline-entry")
    .evaluateAll((items) => items.map((item) => item.getAttribute("data-type")));
  expect(earlierTypes).toEqual(
    expect.arrayContaining(["scenario", "rotation", "reuse_detected", "signed_out"]),
  );
  await page.getByRole("button", { name: "Clear earlier page loads" }).click();
  await expect(earlier).toHaveCount(0);
});

// Issue 27: at 1280×800 the scenario column scrolls inside itself (768 px of 1,383 shown), and
// the replay's verdict landed below the fold of that column: only its table's header showed.
test("at 1280×800 the replay's verdict, its Expected/Observed table whole, is in view", async ({
  page,
  newUser,
}) => {
  test.setTimeout(90_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  const inspector = await signUpAndOpenInspector(page, newUser);

  await inspector.run("replay", 45_000);

  const verdict = inspector.verdict("replay");
  await expect(verdict).toHaveAttribute("data-fact-code", "refresh_token_reused");
  // Fully inside the viewport, as clipped by the scrolling column (IntersectionObserver).
  await expect(verdict).toBeInViewport({ ratio: 1 });
  const rows = verdict.getByTestId("scenario-check");
  expect(await rows.count()).toBeGreaterThan(0);
  for (const row of await rows.all()) await expect(row).toBeInViewport({ ratio: 1 });
});

test("Lose the refresh response: the retry presents the unseen token's parent and gets a sibling", async ({
  page,
  newUser,
  authNetwork,
  api,
}) => {
  const inspector = await signUpAndOpenInspector(page, newUser);
  const sessionId = sessionIdOf(await authNetwork.lastAccessToken());
  authNetwork.clear();

  await inspector.run("lose");

  await expect(inspector.verdict("lose")).toHaveAttribute("data-tone", "ok");
  await expect(inspector.verdict("lose")).toHaveAttribute("data-fact-retry-accepted", "true");
  await expect(inspector.verdict("lose")).toHaveAttribute("data-fact-signed-in", "true");
  await expect(page).toHaveURL("/inspector");

  // The refresh after the lost answer presented the very cookie the lost rotation had spent.
  const exchanges = await authNetwork.exchanges();
  const lost = exchanges.findLastIndex((e) => e.path === "/api/auth/dev/lose-refresh-response");
  expect(exchanges[lost]?.status).toBe(200);
  const retry = exchanges.slice(lost).find((e) => e.path === "/api/auth/refresh");
  expect(retry?.status).toBe(200);
  expect(retry?.refreshToken).toBe(exchanges[lost]?.refreshToken);

  // The server: still active, and the generation the lost answer reached has two tokens: the
  // undelivered one and the retry's grace sibling.
  const generation = Number(
    await inspector.verdict("lose").getAttribute("data-fact-head-generation"),
  );
  expect(generation).toBeGreaterThan(0);
  const session = await serverSession(api, newUser, sessionId);
  expect(session.status).toBe("active");
  const siblings = session.tokens.filter((t) => t.generation === generation);
  expect(siblings.map((t) => t.issuedVia).sort()).toEqual(["grace", "rotation"]);
  // The page's tree shows the same.
  await expect(
    inspector.familyNodes.and(page.locator(`[data-generation="${generation}"]`)),
  ).toHaveCount(2);
  await expect(inspector.familyNodes.and(page.locator('[data-issued-via="grace"]'))).toHaveCount(1);
  // Exactly one token is current: the sibling this browser holds; the undelivered one is not.
  expect(session.tokens.filter((t) => t.state === "current")).toEqual([
    expect.objectContaining({ generation, issuedVia: "grace" }),
  ]);
  await expect(inspector.familyNodes.and(page.locator('[data-state="current"]'))).toHaveCount(1);
  await expect(
    inspector.familyNodes.and(page.locator('[data-state="current"][data-issued-via="grace"]')),
  ).toHaveCount(1);
  await expect(
    inspector.verdict("lose").getByTestId("scenario-check").and(page.locator('[data-ok="true"]')),
  ).toHaveCount(3);
});

test("Open a second tab: the tabs share the new token, and logging out in one signs out both", async ({
  page,
  context,
  newUser,
  authNetwork,
  api,
}) => {
  test.slow(); // a second tab loads the inspector and restores the session beside the first
  const inspector = await signUpAndOpenInspector(page, newUser);
  const sessionId = sessionIdOf(await authNetwork.lastAccessToken());

  // The scenario itself waits up to 20 s for the second tab's message (SECOND_TAB_TIMEOUT_MS,
  // components/inspector/scenarios-tabs-and-clock.ts) before its verdict says "no message"; wait
  // longer than that, so the verdict is always the scenario's, never the test's impatience.
  const [secondTab] = await Promise.all([
    context.waitForEvent("page"),
    inspector.run("second-tab", 25_000),
  ]);

  await expect(inspector.verdict("second-tab")).toHaveAttribute("data-tone", "ok");
  await expect(inspector.verdict("second-tab")).toHaveAttribute("data-fact-adopted", "true");
  expectInOrder(await inspector.timelineSince("second-tab"), [
    { type: "broadcast_received", "message-kind": "session", "message-token": /^…/ },
    { type: "token_adopted", source: "other_tab", token: /^…/ },
  ]);
  // The second tab restored the session with one refresh; no refresh token was presented twice.
  const presented = await authNetwork.presentedRefreshTokens();
  expect(presented, "refresh tokens presented more than once").toEqual([...new Set(presented)]);
  await expect(secondTab).toHaveURL("/inspector");
  await expect(secondTab.getByTestId("family-node").first()).toBeVisible();

  await new AppHeader(secondTab).logOut();

  await expectSignedOut(secondTab, "logged_out");
  await expectSignedOut(page, "logged_out_elsewhere");
  await expect(page).toHaveURL("/login?reason=logged_out_elsewhere&next=%2Finspector");
  expect(await serverSession(api, newUser, sessionId)).toMatchObject({
    status: "revoked",
    revokeReason: "logout",
  });
});

test("Skew my clock by 10 minutes: one refresh before sending, then none, and no 401", async ({
  page,
  newUser,
  authNetwork,
  api,
}) => {
  const inspector = await signUpAndOpenInspector(page, newUser);
  const sessionId = sessionIdOf(await authNetwork.lastAccessToken());
  authNetwork.clear();

  await inspector.run("skew");

  await expect(inspector.verdict("skew")).toHaveAttribute("data-tone", "ok");
  await expect(inspector.verdict("skew")).toHaveAttribute("data-fact-refreshes-second", "0");
  expectInOrder(await inspector.timelineSince("skew"), [
    { type: "scenario", marker: "note", scenario: "skew", "fact-skew-ms": "600000" },
    // The wrapper refreshes before sending: it never sends a token it believes has expired.
    { type: "refresh_start", trigger: "expired" },
    { type: "rotation", cause: "refresh" },
    { type: "request", method: "GET", path: "/api/me" },
    { type: "request", method: "GET", path: "/api/me" },
    {
      type: "scenario",
      marker: "verdict",
      scenario: "skew",
      "fact-refreshes-first": "1",
      "fact-refreshes-second": "0",
      "fact-unauthorized": "0",
    },
  ]);
  // Against this tab's clock the token's exp is long past, and the wrapper does not care.
  await expect(page.getByTestId("exp-by-local-clock")).toHaveAttribute("data-expired", "true");
  expect((await authNetwork.summary()).unauthorized).toEqual({});

  await expect(inspector.scenario("skew").getByRole("button")).toHaveText("Put my clock back");
  await inspector.run("skew");
  await expect(inspector.verdict("skew")).toHaveAttribute("data-fact-skewed", "false");
  await expect(inspector.verdict("skew")).toHaveAttribute("data-fact-refreshed", "true");
  await expect(inspector.scenario("skew").getByRole("button")).toHaveText(
    "Skew my clock by 10 minutes",
  );
  // Ten minutes forward and back again on the wall clock; the timeline's offsets only go forward.
  const offsets = (
    await page.getByTestId("timeline").getByTestId("timeline-offset").allTextContents()
  ).map((text) => Number(text.replace("−", "-").replace(/[+ s]/g, "")));
  expect(offsets.length).toBeGreaterThan(5);
  expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
  expect(offsets[0]).toBe(0);
  expect((await serverSession(api, newUser, sessionId)).status).toBe("active");
});

test("the policy panel: with a 0-second grace window, a lost refresh answer signs you out", async ({
  page,
  newUser,
  authNetwork,
  api,
}) => {
  const inspector = await signUpAndOpenInspector(page, newUser);
  const sessionId = sessionIdOf(await authNetwork.lastAccessToken());
  const panel = page.getByRole("form", { name: "Policy for this session" });

  await panel.getByLabel("Grace window (s)").fill("0");
  await panel.getByRole("button", { name: "Apply to this session" }).click();

  await expect(panel.getByRole("status")).toContainText("Applied to this session");
  await expect(page.getByText("grace bound 0 s")).toBeVisible();
  const stored = await serverSession(api, newUser, sessionId);
  expect(stored).toMatchObject({ status: "active" });

  // The same lost answer as before, but now the retry with the old cookie is reuse.
  await inspector.scenario("lose").getByRole("button").click();

  await expectSignedOut(page, "refresh_token_reused");
  expect(await serverSession(api, newUser, sessionId)).toMatchObject({
    status: "revoked",
    revokeReason: "refresh_token_reused",
  });
});

test("the timeline filters and exports JSON; screenshots for the README", async ({
  page,
  newUser,
}, testInfo) => {
  test.setTimeout(120_000);
  await page.setViewportSize({ width: 1280, height: 900 });
  const inspector = await signUpAndOpenInspector(page, newUser);

  for (const id of ["expire", "lose"] as const) {
    await inspector.run(id);
    await expect(inspector.verdict(id)).toHaveAttribute("data-tone", "ok");
  }
  await expect(page.getByTestId("signature-verification")).toHaveAttribute("data-result", "true");

  // The device key (issue 21): the session's stored thumbprint, the access token's cnf.jkt and
  // the key of every proof on the timeline are one and the same RFC 7638 thumbprint.
  const thumbprint = (await page.getByTestId("device-key-thumbprint").textContent()) ?? "";
  expect(thumbprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
  await expect(page.getByTestId("access-token-jkt")).toHaveText(thumbprint);
  const proofs = inspector.timelineEntries.and(
    page.locator('[data-type="request_proof"], [data-type="dpop_proof"]'),
  );
  await expect(proofs.first()).toBeVisible();
  const proofKeys = await proofs.evaluateAll((entries) =>
    entries.map((entry) => entry.getAttribute("data-key")),
  );
  expect(new Set(proofKeys)).toEqual(new Set([thumbprint]));

  // Filtering: without "Requests, 401s and retries" no request line is shown; and back.
  const requestEntries = inspector.timelineEntries.and(page.locator('[data-type="request"]'));
  await expect(requestEntries.first()).toBeVisible();
  await page.getByRole("checkbox", { name: "Requests, 401s and retries" }).uncheck();
  await expect(requestEntries).toHaveCount(0);
  await expect(
    inspector.timelineEntries.and(page.locator('[data-type="rotation"]')).first(),
  ).toBeVisible();
  await page.getByRole("checkbox", { name: "Requests, 401s and retries" }).check();
  await expect(requestEntries.first()).toBeVisible();

  // Export: the JSON holds the same events, scenario markers included.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Export JSON" }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^auth-events-.*\.json$/);
  const exported = JSON.parse(await fs.readFile(await download.path(), "utf8")) as {
    events: Array<{ seq: number; at: number; type: string; marker?: string; scenario?: string }>;
  };
  expect(exported.events.length).toBe(await inspector.timelineEntries.count());
  expect(exported.events.map((e) => e.type)).toEqual(
    expect.arrayContaining(["unauthorized", "refresh_start", "rotation", "retry", "scenario"]),
  );
  expect(
    exported.events.some(
      (e) => e.type === "scenario" && e.marker === "start" && e.scenario === "lose",
    ),
  ).toBe(true);

  const SCREENSHOT_DIR = screenshotDir(testInfo);
  await fs.mkdir(SCREENSHOT_DIR, { recursive: true });
  // A viewport taller than the page's columns: the sticky scenario column then never scrolls
  // inside itself, so element screenshots show it as a reader sees it.
  await page.setViewportSize({ width: 1280, height: 3000 });
  const lesson = page.getByRole("region", { name: "Break it on purpose" }).locator("xpath=../..");
  await lesson.screenshot({ path: `${SCREENSHOT_DIR}/inspector.png` });
  await page
    .getByRole("region", { name: "Break it on purpose" })
    .screenshot({ path: `${SCREENSHOT_DIR}/inspector-scenarios.png` });
  await page
    .getByRole("region", { name: "Timeline" })
    .screenshot({ path: `${SCREENSHOT_DIR}/inspector-timeline.png` });

  await inspector.run("replay", 45_000);
  await expect(page.getByTestId("session-view")).toHaveAttribute("data-status", "revoked");
  await page
    .getByRole("region", { name: "The server's view of this session" })
    .screenshot({ path: `${SCREENSHOT_DIR}/inspector-reuse.png` });
});
