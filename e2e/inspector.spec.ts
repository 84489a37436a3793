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
import { readJwtClaims } from "./kit/time-control";
import { AppHeader } from "./pages/app-header";
import { LoginPage } from "./pages/login-page";
import { RegisterPage } from "./pages/register-page";
import {
  expect,
  expectSignedOut,
  type Credentials,
  presentRefreshToken,
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

type ScenarioId = "expire" | "burst" | "replay" | "lose" | "second-tab" | "skew";
type TimelineEntry = { type: string; detail: string };
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

  /** The timeline after the latest start marker of `title` ("▶ Expire my access token now"). */
  async timelineSince(title: string): Promise<TimelineEntry[]> {
    const entries = await this.timelineEntries.evaluateAll((items) =>
      items.map((item) => ({
        type: item.getAttribute("data-type") ?? "",
        detail: item.lastElementChild?.textContent ?? "",
      })),
    );
    const start = entries.findLastIndex((e) => e.type === "scenario" && e.detail === `▶ ${title}`);
    expect(start, `a "▶ ${title}" marker in the timeline`).toBeGreaterThanOrEqual(0);
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
  const login = await request.post("/api/auth/login", {
    data: { email: user.email, password: user.password },
  });
  expect(login.status(), await login.text()).toBe(200);
  const { accessToken } = (await login.json()) as { accessToken: string };
  const answer = await request.get(`/api/auth/sessions/${sessionId}`, {
    headers: { Authorization: `Bearer ${accessToken}` },
  });
  expect(answer.status(), await answer.text()).toBe(200);
  return ((await answer.json()) as { session: ServerSession }).session;
}

/** Asserts that `lines` contains a line matching each pattern, in this order (others may come between). */
function expectInOrder(lines: string[], patterns: RegExp[]): void {
  let next = 0;
  for (const line of lines) if (next < patterns.length && patterns[next]!.test(line)) next++;
  expect(
    next,
    `expected, in order:\n  ${patterns.join("\n  ")}\nin:\n  ${lines.join("\n  ")}`,
  ).toBe(patterns.length);
}

const describeEntries = (entries: TimelineEntry[]) => entries.map((e) => `${e.type} ${e.detail}`);
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

  await expect(inspector.verdict("expire")).toHaveAttribute("data-tone", "ok");
  await expect(inspector.verdict("expire")).toContainText(
    "GET /api/me → 401 token_expired → 1 refresh → retry → 200",
  );
  // The lesson reads expected-versus-observed first, then the prose.
  await expect(inspector.scenario("expire").getByRole("heading")).toHaveText(
    "A token that dies early",
  );
  const checks = inspector.verdict("expire").getByTestId("scenario-check");
  await expect(checks).toHaveCount(3);
  await expect(checks.and(page.locator('[data-ok="true"]'))).toHaveCount(3);
  await expect(checks.nth(0)).toContainText("GET /api/me answers 401 token_expired");
  await expect(checks.nth(0)).toContainText("401 token_expired");
  await expect(checks.nth(1)).toContainText("1 refresh");
  await expect(checks.nth(2)).toContainText("retry → 200");
  expect(
    await inspector
      .verdict("expire")
      .evaluate((box) => box.firstElementChild?.getAttribute("data-testid")),
  ).toBe("scenario-checks");
  expectInOrder(describeEntries(await inspector.timelineSince("Expire my access token now")), [
    /^token_replaced now holding …/,
    /^request GET \/api\/me$/,
    /^unauthorized \/api\/me: token_expired$/,
    /^refresh_start unauthorized$/,
    /^rotation new token/,
    /^retry \/api\/me$/,
    /^scenario verdict: GET \/api\/me → 401 token_expired → 1 refresh → retry → 200$/,
  ]);
  expectInOrder(await authNetwork.log(), [
    /^POST \/api\/auth\/expired-access-token \(token \d+\) → 200$/,
    /^GET \/api\/me \(token \d+\) → 401 token_expired$/,
    /^POST \/api\/auth\/refresh → 200$/,
    /^GET \/api\/me \(token \d+\) → 200$/,
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

  await expect(inspector.verdict("burst")).toHaveAttribute("data-tone", "ok");
  await expect(inspector.verdict("burst")).toContainText(
    "10 requests: 10 × 401, 1 refresh, 10 retries, 10 × 200",
  );
  const timeline = await inspector.timelineSince("Fire 10 requests at once");
  const burst = timeline.slice(timeline.findIndex((e) => e.detail === "GET /api/me"));
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
  await expect(inspector.verdict("replay")).toContainText("401 refresh_token_reused");
  await expect(page.getByTestId("session-status")).toHaveText("session revoked");
  await expect(page.getByTestId("revoke-reason")).toContainText("refresh_token_reused");
  await expect(inspector.familyNodes.and(page.locator('[data-state="reused"]'))).toHaveCount(1);
  await expect(inspector.familyNodes.and(page.locator('[data-state="current"]'))).toHaveCount(0);
  await expect(
    inspector.familyNodes.and(page.locator('[data-state="revoked"]')).first(),
  ).toBeVisible();
  await expect(inspector.endedSessionBanner).toContainText("refresh_token_reused");
  expectInOrder(
    describeEntries(
      await inspector.timelineSince("Replay my previous refresh token, as a thief would"),
    ),
    [
      /^scenario thief copied refresh token generation \d+$/,
      /^refresh_start manual$/,
      /^rotation /,
      /^request POST \/api\/auth\/dev\/replay-refresh-token$/,
      /^scenario verdict: thief told 401 refresh_token_reused; family revoked$/,
    ],
  );

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
  await expect(earlier).toContainText(
    /ending with (signed_out|broadcast_sent signed out:) refresh_token_reused/,
  );
  const earlierTypes = await earlier
    .getByTestId("earlier-timeline-entry")
    .evaluateAll((items) => items.map((item) => item.getAttribute("data-type")));
  expect(earlierTypes).toEqual(
    expect.arrayContaining(["scenario", "rotation", "reuse_detected", "signed_out"]),
  );
  await page.getByRole("button", { name: "Clear earlier page loads" }).click();
  await expect(earlier).toHaveCount(0);
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
  await expect(inspector.verdict("lose")).toContainText("you stayed signed in");
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
    /sibling at generation (\d+)/.exec(await inspector.verdict("lose").innerText())?.[1],
  );
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
  const inspector = await signUpAndOpenInspector(page, newUser);
  const sessionId = sessionIdOf(await authNetwork.lastAccessToken());

  const [secondTab] = await Promise.all([
    context.waitForEvent("page"),
    inspector.run("second-tab"),
  ]);

  await expect(inspector.verdict("second-tab")).toHaveAttribute("data-tone", "ok");
  await expect(inspector.verdict("second-tab")).toContainText("adopted it");
  const timeline = await inspector.timelineSince("Open a second tab");
  expectInOrder(describeEntries(timeline), [
    /^broadcast_received session …/,
    /^token_adopted from another tab: …/,
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
  await expect(inspector.verdict("skew")).toContainText("the next request needed no refresh");
  const timeline = await inspector.timelineSince("Skew my clock by 10 minutes");
  expectInOrder(describeEntries(timeline), [
    /^scenario this tab's clock now runs 10 minutes fast$/,
    // The wrapper refreshes before sending: it never sends a token it believes has expired.
    /^refresh_start expired$/,
    /^rotation /,
    /^request GET \/api\/me$/,
    /^request GET \/api\/me$/,
    /^scenario verdict: clock \+10 min: 1 refresh, then 0 refreshes; 0 × 401$/,
  ]);
  // Against this tab's clock the token's exp is long past, and the wrapper does not care.
  await expect(page.getByTestId("exp-by-local-clock")).toContainText("it expired");
  expect((await authNetwork.summary()).unauthorized).toEqual({});

  await expect(inspector.scenario("skew").getByRole("button")).toHaveText("Put my clock back");
  await inspector.run("skew");
  await expect(inspector.verdict("skew")).toContainText("The clock is back");
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
  await expect(page.getByTestId("signature-verification")).toContainText("checked the signature");

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
    events: Array<{ seq: number; at: number; type: string; detail?: string }>;
  };
  expect(exported.events.length).toBe(await inspector.timelineEntries.count());
  expect(exported.events.map((e) => e.type)).toEqual(
    expect.arrayContaining(["unauthorized", "refresh_start", "rotation", "retry", "scenario"]),
  );
  expect(exported.events.some((e) => e.detail === "▶ Lose the refresh response")).toBe(true);

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
  await expect(page.getByTestId("session-status")).toHaveText("session revoked");
  await page
    .getByRole("region", { name: "The server's view of this session" })
    .screenshot({ path: `${SCREENSHOT_DIR}/inspector-reuse.png` });
});
