import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";

import { ApiError } from "./api-error";
import { createAuthClient, LOCK_ACQUIRE_TIMEOUT_MS, type AuthClientOptions } from "./auth-client";
import type { AuthEventType, AuthStore } from "./auth-store";
import {
  ACCESS_TOKEN_TTL_SECONDS,
  createDeferred,
  createFakeLockManager,
  errorResponse,
  FakeChannelHub,
  FakeLifecycle,
  FakeServer,
  flushPromises,
  jsonResponse,
  sessionBody,
} from "@/test/client/fakes";

const CURRENT_PATH = "/notes?page=2";
const CREDENTIALS = { email: "ada@example.com", password: "correct horse battery staple" };

let server: FakeServer;

beforeEach(() => {
  server = new FakeServer();
});

afterEach(() => {
  vi.useRealTimers();
});

/** One browser tab: its own store and client, sharing `server` (and whatever fakes are passed). */
function openTab(name = "A", options: AuthClientOptions = {}) {
  const navigate = vi.fn<(url: string) => void>();
  const client = createAuthClient({
    fetch: server.fetchFor(name),
    deviceKey: null,
    locks: null,
    channel: null,
    lifecycle: null,
    navigate,
    getCurrentPath: () => CURRENT_PATH,
    ...options,
  });
  return { client, navigate, store: client.store };
}

function countEvents(store: AuthStore, type: AuthEventType): number {
  return store.getState().events.filter((event) => event.type === type).length;
}

describe("apiFetch", () => {
  it("sends the in-memory access token as a bearer token", async () => {
    const { client } = openTab();
    await client.login(CREDENTIALS);

    const response = await client.apiFetch("/api/notes");

    expect(response.status).toBe(200);
    expect(server.callsTo("/api/notes")[0]?.authorization).toBe("Bearer token-1");
  });

  it("single-flight: five concurrent 401s cause one refresh, and all five retry with the new token", async () => {
    const { client, store } = openTab();
    await client.login(CREDENTIALS);
    server.expireAccessTokens();

    const responses = await Promise.all(
      Array.from({ length: 5 }, () => client.apiFetch("/api/notes")),
    );

    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(server.callsTo("/api/auth/refresh")).toHaveLength(1);
    const notesCalls = server.callsTo("/api/notes");
    expect(notesCalls.filter((c) => c.authorization === "Bearer token-1")).toHaveLength(5);
    expect(notesCalls.filter((c) => c.authorization === "Bearer token-2")).toHaveLength(5);
    expect(countEvents(store, "retry")).toBe(5);
  });

  it("retries once only: a second 401 is returned to the caller, not looped", async () => {
    const { client, store } = openTab();
    await client.login(CREDENTIALS);
    server.routes.set("/api/notes", () => errorResponse(401, "token_expired"));

    const response = await client.apiFetch("/api/notes");

    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: "token_expired" } });
    expect(server.callsTo("/api/auth/refresh")).toHaveLength(1);
    expect(server.callsTo("/api/notes")).toHaveLength(2);
    expect(store.getState().status).toBe("authenticated");
  });

  it.each(["forbidden", "refresh_token_reused"])(
    "passes a 401 with code %s through without refreshing",
    async (code) => {
      const { client } = openTab();
      await client.login(CREDENTIALS);
      server.routes.set("/api/notes", () => errorResponse(401, code));

      const response = await client.apiFetch("/api/notes");

      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: { code } });
      expect(server.callsTo("/api/auth/refresh")).toHaveLength(0);
      expect(server.callsTo("/api/notes")).toHaveLength(1);
    },
  );

  it("session_revoked from a protected route: one refresh; a newer session in the cookie retries", async () => {
    const { client, store } = openTab();
    await client.login(CREDENTIALS);
    let first = true;
    server.routes.set("/api/notes", () => {
      if (!first) return new Response("[]", { status: 200 });
      first = false;
      return errorResponse(401, "session_revoked");
    });

    const response = await client.apiFetch("/api/notes");

    expect(response.status).toBe(200);
    expect(server.callsTo("/api/auth/refresh")).toHaveLength(1);
    expect(server.callsTo("/api/notes").map((c) => c.authorization)).toEqual([
      "Bearer token-1",
      "Bearer token-2",
    ]);
    expect(store.getState().status).toBe("authenticated");
  });

  it("session_revoked from a protected route, and the refresh fails: signs out with the refresh's reason", async () => {
    const { client, store, navigate } = openTab();
    await client.login(CREDENTIALS);
    server.routes.set("/api/notes", () => errorResponse(401, "session_revoked"));
    server.refreshAnswers.push(() => errorResponse(401, "session_revoked"));

    const response = await client.apiFetch("/api/notes");

    expect(response.status).toBe(401);
    expect(server.callsTo("/api/auth/refresh")).toHaveLength(1);
    expect(server.callsTo("/api/notes")).toHaveLength(1);
    expect(store.getState().status).toBe("signed_out");
    expect(navigate).toHaveBeenCalledWith(expect.stringContaining("reason=session_revoked"));
  });

  it("refreshes before sending when the token has already expired by the local clock", async () => {
    vi.useFakeTimers();
    const { client } = openTab();
    await client.login(CREDENTIALS);

    vi.advanceTimersByTime(ACCESS_TOKEN_TTL_SECONDS * 1000);
    const response = await client.apiFetch("/api/notes");

    expect(response.status).toBe(200);
    expect(server.callsTo("/api/notes").map((c) => c.authorization)).toEqual(["Bearer token-2"]);
  });

  it("refuses to send the token to another origin", async () => {
    const { client } = openTab();
    await client.login(CREDENTIALS);

    await expect(client.apiFetch("https://evil.example/steal")).rejects.toThrow(TypeError);
    await expect(client.apiFetch("//evil.example/steal")).rejects.toThrow(TypeError);
    expect(server.calls.map((c) => c.path)).toEqual(["/api/auth/login"]);
  });
});

describe("apiJson", () => {
  it("parses a 2xx body", async () => {
    const { client } = openTab();
    await client.login(CREDENTIALS);
    await expect(
      client.apiJson("/api/notes", z.object({ token: z.string() })),
    ).resolves.toMatchObject({
      token: "token-1",
    });
  });

  it("throws a typed ApiError with the field errors on non-2xx", async () => {
    const { client } = openTab();
    await client.login(CREDENTIALS);
    server.routes.set("/api/notes", () =>
      errorResponse(400, "invalid_request", { title: ["Required"] }),
    );

    const error = await client.apiJson("/api/notes", z.unknown()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 400,
      code: "invalid_request",
      fields: { title: ["Required"] },
    });
  });
});

describe("login", () => {
  it("throws ApiError and stays signed out on bad credentials", async () => {
    const { client, store } = openTab();
    server.routes.set("/api/auth/login", () => errorResponse(401, "invalid_credentials"));

    await expect(client.login(CREDENTIALS)).rejects.toMatchObject({
      status: 401,
      code: "invalid_credentials",
    });
    expect(store.getState().status).toBe("unknown");
    expect(store.getState().accessToken).toBeNull();
  });
});

describe("register", () => {
  it("surfaces the server's field errors", async () => {
    const { client } = openTab();
    server.routes.set("/api/auth/register", () =>
      errorResponse(400, "invalid_request", { password: ["Too short"] }),
    );

    await expect(client.register({ ...CREDENTIALS, name: "Ada" })).rejects.toMatchObject({
      status: 400,
      code: "invalid_request",
      fields: { password: ["Too short"] },
    });
  });
});

describe("the event log", () => {
  it("records a silent refresh step by step, in order", async () => {
    const { client, store } = openTab();
    await client.login(CREDENTIALS);
    server.expireAccessTokens();

    await client.apiFetch("/api/notes");

    expect(store.getState().events.map((event) => event.type)).toEqual([
      "login",
      "request",
      "unauthorized",
      "refresh_start",
      "rotation",
      "refresh_end",
      "retry",
      "retry_result",
    ]);
    expect(store.getState().events[2]).toMatchObject({ path: "/api/notes", code: "token_expired" });
    expect(store.getState().events[7]).toMatchObject({ path: "/api/notes", status: 200 });
  });
});

describe("a refresh that fails", () => {
  it("signs out with the reason, tells the other tabs, and sends the user to login with next", async () => {
    const hub = new FakeChannelHub();
    const channelA = hub.open();
    const a = openTab("A", { channel: channelA });
    const b = openTab("B", { channel: hub.open() });
    a.client.start();
    b.client.start();
    await a.client.login(CREDENTIALS);
    await flushPromises(); // B adopts A's login
    expect(b.store.getState().status).toBe("authenticated");
    server.expireAccessTokens();
    server.refreshAnswers.push(() => errorResponse(401, "refresh_token_reused"));

    const response = await a.client.apiFetch("/api/notes");
    await flushPromises();

    expect(response.status).toBe(401);
    expect(a.store.getState()).toMatchObject({
      status: "signed_out",
      signOutReason: "refresh_token_reused",
    });
    expect(a.store.getState().accessToken).toBeNull();
    expect(countEvents(a.store, "reuse_detected")).toBe(1);
    expect(channelA.sent).toContainEqual({ type: "signed_out", reason: "refresh_token_reused" });
    expect(a.navigate).toHaveBeenCalledExactlyOnceWith(
      "/login?reason=refresh_token_reused&next=%2Fnotes%3Fpage%3D2",
    );
    expect(b.store.getState()).toMatchObject({
      status: "signed_out",
      signOutReason: "refresh_token_reused",
    });
    expect(b.navigate).toHaveBeenCalledExactlyOnceWith(
      "/login?reason=refresh_token_reused&next=%2Fnotes%3Fpage%3D2",
    );

    // Never loop: the signed-out tab does not try again.
    expect((await a.client.apiFetch("/api/notes")).status).toBe(401);
    expect(server.callsTo("/api/auth/refresh")).toHaveLength(1);
  });

  it("does not resurrect a session that was logged out while the refresh was in flight", async () => {
    const { client, store, navigate } = openTab();
    await client.login(CREDENTIALS);
    server.expireAccessTokens();
    const lateAnswer = createDeferred<Response>();
    server.refreshAnswers.push(() => lateAnswer.promise);

    const pending = client.apiFetch("/api/notes");
    await flushPromises();
    expect(server.callsTo("/api/auth/refresh")).toHaveLength(1);
    await client.logout();
    lateAnswer.resolve(jsonResponse(200, sessionBody("token-late")));
    const response = await pending;

    expect(response.status).toBe(401);
    expect(store.getState()).toMatchObject({
      status: "signed_out",
      accessToken: null,
      signOutReason: "logged_out",
    });
    expect(countEvents(store, "stale_result_ignored")).toBe(1);
    expect(server.callsTo("/api/notes")).toHaveLength(1);
    expect(navigate).toHaveBeenCalledExactlyOnceWith("/login?reason=logged_out");
  });

  it("survives network errors: retries with backoff and keeps the user signed in", async () => {
    vi.useFakeTimers();
    const { client, store, navigate } = openTab();
    await client.login(CREDENTIALS);
    server.expireAccessTokens();
    server.refreshAnswers.push(
      () => Promise.reject(new TypeError("Failed to fetch")),
      () => errorResponse(503, "unavailable"),
    );

    const pending = client.apiFetch("/api/notes");
    await flushPromises();
    expect(server.callsTo("/api/auth/refresh")).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(499);
    expect(server.callsTo("/api/auth/refresh")).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(server.callsTo("/api/auth/refresh")).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1_500);
    const response = await pending;

    expect(server.callsTo("/api/auth/refresh")).toHaveLength(3);
    expect(response.status).toBe(200);
    expect(store.getState()).toMatchObject({ status: "authenticated", accessToken: "token-2" });
    expect(countEvents(store, "attempt_failed")).toBe(2);
    expect(navigate).not.toHaveBeenCalled();
  });

  it("gives up after a few network failures without signing the user out", async () => {
    vi.useFakeTimers();
    const { client, store, navigate } = openTab();
    await client.login(CREDENTIALS);
    server.expireAccessTokens();
    for (let i = 0; i < 10; i++)
      server.refreshAnswers.push(() => Promise.reject(new TypeError("Failed to fetch")));

    const pending = client.apiFetch("/api/notes");
    await vi.advanceTimersByTimeAsync(60_000);
    const response = await pending;

    expect(response.status).toBe(401);
    expect(server.callsTo("/api/auth/refresh")).toHaveLength(4);
    expect(store.getState().status).toBe("authenticated");
    expect(navigate).not.toHaveBeenCalled();
  });
});

describe("across tabs", () => {
  function openTabs() {
    const hub = new FakeChannelHub();
    const locks = createFakeLockManager();
    const a = openTab("A", { channel: hub.open(), locks });
    const b = openTab("B", { channel: hub.open(), locks });
    a.client.start();
    b.client.start();
    return { a, b };
  }

  it("logging out in one tab logs out the others", async () => {
    const { a, b } = openTabs();
    await a.client.login(CREDENTIALS);
    await flushPromises();
    expect(b.store.getState().status).toBe("authenticated");

    await a.client.logout();
    await flushPromises();

    expect(server.callsTo("/api/auth/logout", "A")).toHaveLength(1);
    expect(a.navigate).toHaveBeenCalledExactlyOnceWith("/login?reason=logged_out");
    expect(b.store.getState()).toMatchObject({
      status: "signed_out",
      signOutReason: "logged_out_elsewhere",
    });
    expect(b.navigate).toHaveBeenCalledExactlyOnceWith(
      "/login?reason=logged_out_elsewhere&next=%2Fnotes%3Fpage%3D2",
    );
  });

  // Issue 27: told before the server had answered, tab B left for the login page while the
  // cookies were still there, and that page load asked for a refresh that got a 401.
  it("the other tabs hear of a logout only once the server has answered it", async () => {
    const { a, b } = openTabs();
    await a.client.login(CREDENTIALS);
    await flushPromises();
    const answer = createDeferred<Response>();
    server.routes.set("/api/auth/logout", () => answer.promise);

    const loggingOut = a.client.logout();
    await flushPromises();
    expect(server.callsTo("/api/auth/logout", "A")).toHaveLength(1);
    expect(a.store.getState().status).toBe("signed_out");
    expect(b.store.getState().status).toBe("authenticated");
    expect(b.navigate).not.toHaveBeenCalled();

    answer.resolve(new Response(null, { status: 204 }));
    await loggingOut;
    await flushPromises();
    expect(b.store.getState()).toMatchObject({
      status: "signed_out",
      signOutReason: "logged_out_elsewhere",
    });
    expect(b.navigate).toHaveBeenCalledOnce();
    expect(server.callsTo("/api/auth/refresh")).toHaveLength(0);
  });

  it("a token refreshed by tab A is used by tab B without B refreshing", async () => {
    vi.useFakeTimers(); // frozen clock: A's login and refresh land in the same millisecond
    const { a, b } = openTabs();
    await a.client.login(CREDENTIALS);
    await flushPromises();
    server.expireAccessTokens();

    await expect(a.client.refresh()).resolves.toBe("token-2");
    await flushPromises();
    const response = await b.client.apiFetch("/api/notes");

    expect(response.status).toBe(200);
    expect(server.callsTo("/api/notes", "B").map((c) => c.authorization)).toEqual([
      "Bearer token-2",
    ]);
    expect(server.callsTo("/api/auth/refresh", "B")).toHaveLength(0);
  });

  it("a tab that waited for the lock reuses the token the holder just obtained", async () => {
    const { a, b } = openTabs();
    await a.client.login(CREDENTIALS);
    await flushPromises();
    server.expireAccessTokens();
    const slowAnswer = createDeferred<Response>();
    server.refreshAnswers.push(() => slowAnswer.promise);

    const pendingA = a.client.apiFetch("/api/notes");
    await flushPromises(); // A holds the lock, its refresh is on the wire
    const pendingB = b.client.apiFetch("/api/notes");
    await flushPromises(); // B got its 401 and queues for the lock
    expect(server.callsTo("/api/notes", "B")).toHaveLength(1);
    slowAnswer.resolve(server.rotate());

    const [responseA, responseB] = await Promise.all([pendingA, pendingB]);
    expect([responseA.status, responseB.status]).toEqual([200, 200]);
    expect(server.callsTo("/api/auth/refresh")).toHaveLength(1);
    expect(server.callsTo("/api/auth/refresh", "B")).toHaveLength(0);
    expect(server.callsTo("/api/notes", "B").map((c) => c.authorization)).toEqual([
      "Bearer token-1",
      "Bearer token-2",
    ]);
    expect(countEvents(b.store, "token_adopted")).toBeGreaterThan(0);
  });

  it("a tab that cannot get the lock in time keeps its session and does not spend the cookie", async () => {
    vi.useFakeTimers();
    const { a, b } = openTabs();
    await a.client.login(CREDENTIALS);
    await flushPromises();
    server.expireAccessTokens();
    server.refreshAnswers.push(() => createDeferred<Response>().promise); // A's refresh hangs

    void a.client.apiFetch("/api/notes");
    await flushPromises();
    const pendingB = b.client.apiFetch("/api/notes");
    await flushPromises();
    await vi.advanceTimersByTimeAsync(LOCK_ACQUIRE_TIMEOUT_MS);

    expect((await pendingB).status).toBe(401);
    expect(server.callsTo("/api/auth/refresh", "B")).toHaveLength(0);
    expect(b.store.getState().status).toBe("authenticated");
    expect(countEvents(b.store, "lock_timeout")).toBe(1);
  });
});

describe("proactive refresh", () => {
  it.each([
    ["10 minutes fast", 10 * 60_000],
    ["10 minutes slow", -10 * 60_000],
  ])(
    "is scheduled from accessTokenExpiresIn when the local clock is %s",
    async (_label, skewMs) => {
      vi.useFakeTimers();
      const { client } = openTab("A", {
        now: () => Date.now() + skewMs,
        lifecycle: new FakeLifecycle(true),
      });
      client.start();
      await client.login(CREDENTIALS);

      // Comparing the skewed clock with the server's absolute expiry would have refreshed at 270 s
      // (fast clock) or 1470 s (slow clock). The lead is 30 s, so: 870 s.
      await vi.advanceTimersByTimeAsync(869_000);
      expect(server.callsTo("/api/auth/refresh")).toHaveLength(0);
      await vi.advanceTimersByTimeAsync(1_000);
      expect(server.callsTo("/api/auth/refresh")).toHaveLength(1);
      expect(client.store.getState().accessToken).toBe("token-2");
    },
  );

  it("waits while the tab is hidden and refreshes when it becomes visible", async () => {
    vi.useFakeTimers();
    const lifecycle = new FakeLifecycle(false);
    const { client } = openTab("A", { lifecycle });
    client.start();
    await client.login(CREDENTIALS);

    await vi.advanceTimersByTimeAsync(880_000);
    expect(server.callsTo("/api/auth/refresh")).toHaveLength(0);
    lifecycle.visible = true;
    lifecycle.wake();
    await flushPromises();

    expect(server.callsTo("/api/auth/refresh")).toHaveLength(1);
  });

  it("re-checks on wake-up after a sleep during which no timer fired", async () => {
    vi.useFakeTimers();
    const lifecycle = new FakeLifecycle(true);
    const { client, store } = openTab("A", { lifecycle });
    client.start();
    await client.login(CREDENTIALS);

    vi.setSystemTime(Date.now() + 20 * 60_000); // the clock jumps, timers stay put
    lifecycle.wake();
    await flushPromises();

    expect(server.callsTo("/api/auth/refresh")).toHaveLength(1);
    expect(countEvents(store, "proactive_refresh")).toBe(1);
    expect(store.getState().accessToken).toBe("token-2");
  });
});

describe("restoreSession", () => {
  it("restores with one refresh call however many times it is called at once", async () => {
    const { client, store } = openTab();

    const statuses = await Promise.all([client.restoreSession(), client.restoreSession()]);

    expect(statuses).toEqual(["authenticated", "authenticated"]);
    expect(server.callsTo("/api/auth/refresh")).toHaveLength(1);
    expect(store.getState().user?.email).toBe("ada@example.com");
  });

  it("without a cookie: signed out, no navigation, no broadcast", async () => {
    const channel = new FakeChannelHub().open();
    const { client, store, navigate } = openTab("A", { channel });
    server.refreshAnswers.push(() => errorResponse(401, "refresh_token_missing"));

    await expect(client.restoreSession()).resolves.toBe("signed_out");

    expect(store.getState().status).toBe("signed_out");
    expect(navigate).not.toHaveBeenCalled();
    expect(channel.sent).toEqual([]);
  });

  it("with a revoked session: signed out with the reason, and no navigation (the page decides)", async () => {
    const { client, store, navigate } = openTab();
    server.refreshAnswers.push(() => errorResponse(401, "session_revoked"));

    await expect(client.restoreSession()).resolves.toBe("signed_out");

    expect(store.getState().signOutReason).toBe("session_revoked");
    expect(navigate).not.toHaveBeenCalled();
  });

  it("without the session hint: signed out without asking the server", async () => {
    const { client, store, navigate } = openTab();

    await expect(client.restoreSession({ sessionHint: false })).resolves.toBe("signed_out");

    expect(server.callsTo("/api/auth/refresh")).toHaveLength(0);
    expect(store.getState().signOutReason).toBe("refresh_token_missing");
    expect(navigate).not.toHaveBeenCalled();
  });

  it("a later refresh rejection (not the restore) still sends the user to login", async () => {
    const { client, navigate } = openTab();
    await client.restoreSession();
    server.refreshAnswers.push(() => errorResponse(401, "session_revoked"));

    await client.refresh();

    expect(navigate).toHaveBeenCalledExactlyOnceWith(
      "/login?reason=session_revoked&next=%2Fnotes%3Fpage%3D2",
    );
  });
});

describe("a server answering 503 service_unavailable (database down, instance draining)", () => {
  const unavailable = () => {
    const response = errorResponse(503, "service_unavailable");
    response.headers.set("Retry-After", "2");
    return response;
  };

  it("keeps the session through a refresh that is unavailable on every attempt, and refreshes once the server is back", async () => {
    vi.useFakeTimers();
    const channel = new FakeChannelHub().open();
    const { client, store, navigate } = openTab("A", { channel });
    await client.login(CREDENTIALS);
    const sentBefore = channel.sent.length;
    server.expireAccessTokens();
    for (let i = 0; i < 4; i++) server.refreshAnswers.push(unavailable);

    const during = client.apiFetch("/api/notes");
    await vi.advanceTimersByTimeAsync(60_000);
    expect((await during).status).toBe(401);
    expect(server.callsTo("/api/auth/refresh")).toHaveLength(4);
    expect(store.getState().status).toBe("authenticated");
    expect(countEvents(store, "signed_out")).toBe(0);
    expect(navigate).not.toHaveBeenCalled();
    expect(channel.sent.slice(sentBefore)).toEqual([]);

    // Back: the next request refreshes with the cookie the tab still holds, and succeeds.
    const after = await client.apiFetch("/api/notes");
    expect(after.status).toBe(200);
    expect(server.callsTo("/api/auth/refresh")).toHaveLength(5);
    expect(store.getState().status).toBe("authenticated");
  });

  it("restoring a session while unavailable leaves it unknown (not signed out), and a later restore succeeds", async () => {
    vi.useFakeTimers();
    const { client, store, navigate } = openTab();
    for (let i = 0; i < 4; i++) server.refreshAnswers.push(unavailable);

    const first = client.restoreSession();
    await vi.advanceTimersByTimeAsync(60_000);
    await expect(first).resolves.toBe("unknown");
    expect(store.getState().status).toBe("unknown");
    expect(navigate).not.toHaveBeenCalled();

    await expect(client.restoreSession()).resolves.toBe("authenticated");
  });

  it("hands a protected route's 503 to the caller without refreshing or signing out", async () => {
    const { client, store } = openTab();
    await client.login(CREDENTIALS);
    server.routes.set("/api/notes", unavailable);

    const response = await client.apiFetch("/api/notes");

    expect(response.status).toBe(503);
    expect(server.callsTo("/api/auth/refresh")).toHaveLength(0);
    expect(store.getState().status).toBe("authenticated");
  });
});
