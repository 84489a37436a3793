import { beforeEach, describe, expect, it, vi } from "vitest";

import { ApiError } from "./api-error";
import { API_PATH } from "@/lib/contract";
import { createAuthClient, type AuthClientOptions } from "./auth-client";

const PASSWORD_API_PATH = API_PATH.password;
import {
  createDeferred,
  createFakeLockManager,
  errorResponse,
  FakeChannelHub,
  FakeServer,
  flushPromises,
  jsonResponse,
  sessionBody,
} from "@/test/client/fakes";

const CREDENTIALS = { email: "ada@example.com", password: "correct horse battery staple" };
const CHANGE = { currentPassword: CREDENTIALS.password, newPassword: "a brand new passphrase" };

let server: FakeServer;
beforeEach(() => {
  server = new FakeServer();
});

function openTab(name: string, options: AuthClientOptions = {}) {
  const client = createAuthClient({
    fetch: server.fetchFor(name),
    deviceKey: null,
    locks: null,
    channel: null,
    lifecycle: null,
    navigate: vi.fn(),
    getCurrentPath: () => "/account",
    ...options,
  });
  return { client, store: client.store };
}

/** The server's answer to a password change: a new session, as login answers, plus the count. */
const changed = (revokedSessions = 2) =>
  jsonResponse(200, { ...sessionBody(server.issueToken()), revokedSessions });

describe("changePassword", () => {
  it("adopts the new session's access token and tells the other tabs, as a refresh does", async () => {
    const hub = new FakeChannelHub();
    const channelA = hub.open();
    const a = openTab("A", { channel: channelA });
    const b = openTab("B", { channel: hub.open() });
    a.client.start();
    b.client.start();
    await a.client.login(CREDENTIALS);
    await flushPromises();
    server.routes.set(PASSWORD_API_PATH, () => changed(2));

    await expect(a.client.changePassword(CHANGE)).resolves.toEqual({ revokedSessions: 2 });
    await flushPromises();

    expect(server.callsTo(PASSWORD_API_PATH)[0]?.authorization).toBe("Bearer token-1");
    expect(a.store.getState()).toMatchObject({ status: "authenticated", accessToken: "token-2" });
    expect(channelA.sent).toContainEqual(
      expect.objectContaining({
        type: "session",
        session: expect.objectContaining({ accessToken: "token-2" }),
      }),
    );
    expect(b.store.getState()).toMatchObject({ status: "authenticated", accessToken: "token-2" });
  });

  it("holds the refresh lock while the change is on the wire, so no tab refreshes with the old cookie", async () => {
    const locks = createFakeLockManager();
    const hub = new FakeChannelHub();
    const a = openTab("A", { channel: hub.open(), locks });
    const b = openTab("B", { channel: hub.open(), locks });
    a.client.start();
    b.client.start();
    await a.client.login(CREDENTIALS);
    await flushPromises();
    const answer = createDeferred<Response>();
    server.routes.set(PASSWORD_API_PATH, () => answer.promise);

    const change = a.client.changePassword(CHANGE);
    await flushPromises();
    const refreshInB = b.client.refresh();
    await flushPromises();
    expect(server.callsTo("/api/auth/refresh")).toHaveLength(0);

    answer.resolve(changed(1));
    await change;
    // B waited for the lock, then found the new token (broadcast) or rotated the new cookie.
    expect(await refreshInB).not.toBeNull();
    expect(b.store.getState().status).toBe("authenticated");
  });

  it("refreshes once and retries when the access token had expired", async () => {
    const { client, store } = openTab("A");
    await client.login(CREDENTIALS);
    server.routes.set(PASSWORD_API_PATH, (call) =>
      call.authorization === "Bearer token-1" ? errorResponse(401, "token_expired") : changed(0),
    );

    await expect(client.changePassword(CHANGE)).resolves.toEqual({ revokedSessions: 0 });

    expect(server.callsTo("/api/auth/refresh")).toHaveLength(1);
    expect(server.callsTo(PASSWORD_API_PATH).map((c) => c.authorization)).toEqual([
      "Bearer token-1",
      "Bearer token-2",
    ]);
    expect(store.getState().accessToken).toBe("token-3");
  });

  it("throws the server's error and keeps the session as it was", async () => {
    const { client, store } = openTab("A");
    await client.login(CREDENTIALS);
    server.routes.set(PASSWORD_API_PATH, () => errorResponse(429, "too_many_attempts"));

    const error = await client.changePassword(CHANGE).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe("too_many_attempts");
    expect(store.getState()).toMatchObject({ status: "authenticated", accessToken: "token-1" });
  });
});
