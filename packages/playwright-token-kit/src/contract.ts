/**
 * The kit's own promises, as tests any adapter can run against its app: `playwright-token-kit/
 * contract`. This repository runs them against two apps that share no code (its Next.js app and
 * examples/pocket-notes); a team adopting the kit can run them to check its adapter.
 *
 * @example
 * // tests/kit-contract.spec.ts
 * import { defineContractTests } from "playwright-token-kit/contract";
 * import { kit } from "./fixtures";
 * defineContractTests(kit, {
 *   protectedPath: "/api/me",
 *   parallelRequests: 5,
 *   fireParallelRequests: (page) => page.getByRole("button", { name: "Load 5" }).click(),
 *   expectSignedIn: (page, user) => expect(page.getByTestId("whoami")).toHaveText(user.email),
 * });
 */
import type { Page } from "@playwright/test";
import { type Credentials, requestTokenHeaders } from "./adapter.js";
import type { createKit } from "./fixtures.js";

type Kit = ReturnType<typeof createKit>;

export interface ContractOptions {
  /** A route that needs the access token and answers 2xx with a valid one (e.g. `/api/me`). */
  protectedPath: string;
  /** How many requests `fireParallelRequests` sends at once. */
  parallelRequests: number;
  /** Makes the page send `parallelRequests` authenticated requests at once (a click): resolves
   * once they are sent, whatever they will answer. */
  startParallelRequests(page: Page): Promise<void>;
  /** `startParallelRequests`, then resolves once the page shows all of them answered. */
  fireParallelRequests(page: Page): Promise<void>;
  /** Asserts that the page shows `user` signed in. */
  expectSignedIn(page: Page, user: Credentials): Promise<void>;
}

/** Registers the contract tests in the current file. */
export function defineContractTests(kit: Kit, options: ContractOptions): void {
  const { test, expect, adapter } = kit;
  const name = adapter.name ?? "the app";

  test.describe(`playwright-token-kit contract: ${name}`, () => {
    test("each worker owns one session file, and a second check-out renews it", async ({
      workerSession,
    }, testInfo) => {
      expect(workerSession.file).toContain(`worker-${testInfo.parallelIndex}.json`);
      const first = await workerSession.checkOut();
      const second = await workerSession.checkOut();
      expect(second.via).toBe("renewed");
      expect(second.user).toEqual(first.user);
      const refreshOf = (s: typeof first) =>
        s.storageState.cookies.find((c) => c.name === adapter.refresh.cookie)?.value;
      expect(refreshOf(second)).toBeTruthy();
      expect(refreshOf(second)).not.toBe(refreshOf(first));
    });

    test("time.expireAccessToken() makes the server itself refuse the page's token", async ({
      signedInPage,
      time,
      authNetwork,
    }) => {
      const token = await authNetwork.newestAccessToken();
      expect(token, "the page load should have used an access token").toBeTruthy();
      // `page.request` shares the context's headers, so it lives on the test's (moved) time.
      const present = async () =>
        (
          await signedInPage.request.get(options.protectedPath, {
            headers: await requestTokenHeaders(adapter, signedInPage, token!, {
              method: "GET",
              url: new URL(options.protectedPath, signedInPage.url()).href,
            }),
          })
        ).status();
      expect(await present()).toBeLessThan(400);
      await time.expireAccessToken(token!);
      expect(await present()).toBe(401);
    });

    test(`${options.parallelRequests} parallel 401s cause exactly one refresh, and the user stays signed in`, async ({
      signedInPage,
      time,
      authNetwork,
      workerUser,
    }) => {
      authNetwork.clear();
      await time.expireAccessToken();
      await options.fireParallelRequests(signedInPage);

      await expect(signedInPage).toHaveRefreshedOnce();
      await expect(signedInPage).toHaveNoAuthErrors();
      const summary = await authNetwork.summary();
      const refused = Object.values(summary.unauthorized).reduce((a, b) => a + b, 0);
      expect(refused).toBe(options.parallelRequests);
      expect(summary.retries).toBe(options.parallelRequests);

      await options.expectSignedIn(signedInPage, workerUser);
      // Not signed out on the next page load either: the rotated cookie restores the session.
      await signedInPage.reload();
      await adapter.signedInPage.ready(signedInPage);
      await options.expectSignedIn(signedInPage, workerUser);
    });

    test("the trace attachment decodes every token and holds none raw", async ({
      signedInPage,
      time,
      authNetwork,
    }) => {
      await time.expireAccessToken();
      await options.fireParallelRequests(signedInPage);
      await expect(signedInPage).toHaveRefreshedOnce();

      const exchanges = await authNetwork.everything();
      const trace = JSON.stringify(await authNetwork.trace());
      const raw = exchanges
        .flatMap((e) => [e.accessToken, e.refreshToken, e.issuedAccessToken])
        .filter((t): t is string => t !== null);
      expect(raw.length).toBeGreaterThan(0);
      for (const token of new Set(raw)) expect(trace).not.toContain(token);

      const traced = await authNetwork.trace();
      const carried = traced.filter((e) => e.accessToken !== null);
      expect(carried.length).toBeGreaterThan(0);
      for (const e of carried) {
        expect(e.accessToken?.claims?.exp, `${e.method} ${e.path}`).toEqual(expect.any(Number));
        expect(e.accessToken?.ref).toMatch(/^token \d+$/);
      }
      const refresh = traced.find((e) => e.refresh && e.status === 200);
      expect(refresh?.refreshToken?.sha256).toMatch(/^[0-9a-f]{12}$/);
      expect(refresh?.issuedAccessToken?.claims?.exp).toEqual(expect.any(Number));
    });

    test("toHaveNoAuthErrors fails on a refused refresh, and names it", async ({
      signedInPage,
      time,
      authNetwork,
      playwright,
      baseURL,
    }) => {
      if (!adapter.signOut) throw new Error("The contract needs the adapter's signOut.");
      // The session ends elsewhere (a sign-out with the same cookies), so the page's next
      // refresh is refused: a real auth error, not a simulated one.
      const elsewhere = await playwright.request.newContext({
        baseURL,
        storageState: await signedInPage.context().storageState(),
      });
      await adapter.signOut(elsewhere);
      await elsewhere.dispose();
      await time.expireAccessToken();
      await options.startParallelRequests(signedInPage);
      await expect
        .poll(async () => (await authNetwork.exchanges()).some((e) => e.isRefresh))
        .toBe(true);

      const message = await expect(signedInPage)
        .toHaveNoAuthErrors()
        .then(
          () => "it passed",
          (error: Error) => error.message,
        );
      const method = adapter.refresh.method ?? "POST";
      // The error code may be missing: an app that leaves for its login page on a refused
      // refresh takes that answer's body with it. The request is named either way.
      expect(message).toMatch(
        new RegExp(
          `Expected no auth errors\\. Request #\\d+ ${method} ${adapter.refresh.path} \\(refresh token \\d+\\) → 401( \\w+)? broke the flow: the refresh was refused\\.`,
        ),
      );
      expect(message).toContain(`→ #`);
    });
  });
}

/**
 * Registers the test that proves `toHaveRefreshedOnce` can fail: run it against a build of the app
 * with a planted double-refresh bug (a client that refreshes once per 401 instead of once for
 * all). The matcher must throw, and its message must name the second refresh. (Whether the extra
 * refreshes also sign the user out depends on their timing; the contract's revoked-session test
 * proves `toHaveNoAuthErrors` fails.)
 */
export function definePlantedBugTests(
  kit: Kit,
  options: Pick<ContractOptions, "fireParallelRequests">,
): void {
  const { test, expect, adapter } = kit;
  test(`planted double refresh: toHaveRefreshedOnce fails and names the second refresh`, async ({
    signedInPage,
    time,
    authNetwork,
  }) => {
    authNetwork.clear();
    await time.expireAccessToken();
    await options.fireParallelRequests(signedInPage);

    const failure = async (assertion: Promise<void>) =>
      assertion.then(
        () => "it passed",
        (error: Error) => error.message,
      );
    const once = await failure(expect(signedInPage).toHaveRefreshedOnce());
    expect(once).toMatch(/Expected exactly one refresh, saw [2-9]\d*\./);
    expect(once).toMatch(
      new RegExp(
        `Request #\\d+ ${adapter.refresh.method ?? "POST"} ${adapter.refresh.path} .* broke the flow: a second refresh`,
      ),
    );
    // In the report: what a reader of a real failure sees.
    await test.info().attach("failure message", { body: once });
  });
}
