/**
 * The devtools extension point (devtools.ts): `replaceAccessToken` (the "expire my access token
 * now" scenario) and `annotate` (scenario markers in the event log), reached through a hook, not
 * through the client's public interface. The point of the first is that the swapped-in token then
 * meets the ordinary path: a 401 from the server, one refresh, one retry.
 */
import { beforeEach, describe, expect, it, vi } from "vitest";

import { createFakeLockManager, FakeChannelHub, FakeServer } from "@/test/client/fakes";
import { createAuthClient } from "./auth-client";
import { type AuthDevtools, createDevtoolsHook } from "./devtools";

const CREDENTIALS = { email: "ada@example.com", password: "correct horse battery staple" };

let server: FakeServer;
beforeEach(() => {
  server = new FakeServer();
});

function openTab(name = "A", extra: Parameters<typeof createAuthClient>[0] = {}) {
  const hook = createDevtoolsHook();
  const client = createAuthClient({
    fetch: server.fetchFor(name),
    deviceKey: null,
    locks: null,
    channel: null,
    lifecycle: null,
    navigate: vi.fn(),
    getCurrentPath: () => "/inspector",
    devtools: hook,
    ...extra,
  });
  return { client, devtools: hook.current() as AuthDevtools };
}

const eventTypes = (client: ReturnType<typeof openTab>["client"]) =>
  client.store.getState().events.map((event) => event.type);

describe("the devtools hook", () => {
  it("is connected by the client it was given to, and the client itself has no devtools methods", () => {
    const { client, devtools } = openTab();
    expect(devtools).not.toBeNull();
    expect(client).not.toHaveProperty("replaceAccessToken");
    expect(client).not.toHaveProperty("annotate");
  });

  it("a client without a hook connects nothing", () => {
    const hook = createDevtoolsHook();
    createAuthClient({
      fetch: server.fetchFor("A"),
      deviceKey: null,
      locks: null,
      channel: null,
      lifecycle: null,
    });
    expect(hook.current()).toBeNull();
  });
});

describe("replaceAccessToken", () => {
  it("sends the replacement with the next request; a 401 then costs one refresh and one retry", async () => {
    const { client, devtools } = openTab();
    await client.login(CREDENTIALS);
    const { accessTokenExpiresAt, epoch } = client.store.getState();

    devtools.replaceAccessToken("expired-token");

    expect(client.store.getState()).toMatchObject({
      accessToken: "expired-token",
      accessTokenExpiresAt,
      epoch,
      status: "authenticated",
    });
    const response = await client.apiFetch("/api/notes");
    expect(response.status).toBe(200);
    expect(server.callsTo("/api/notes").map((c) => c.authorization)).toEqual([
      "Bearer expired-token",
      "Bearer token-2",
    ]);
    expect(server.callsTo("/api/auth/refresh")).toHaveLength(1);
    expect(eventTypes(client)).toEqual(
      expect.arrayContaining(["token_replaced", "unauthorized", "refresh_start", "retry"]),
    );
    const replaced = client.store.getState().events.find((e) => e.type === "token_replaced");
    expect(replaced).toMatchObject({ token: "…-token" });
  });

  it("ten requests sent with the replaced token share one refresh", async () => {
    const { client, devtools } = openTab();
    await client.login(CREDENTIALS);
    devtools.replaceAccessToken("expired-token");

    const responses = await Promise.all(
      Array.from({ length: 10 }, () => client.apiFetch("/api/notes")),
    );

    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(server.callsTo("/api/auth/refresh")).toHaveLength(1);
  });

  it("does not tell other tabs: they keep their own token", async () => {
    const hub = new FakeChannelHub();
    const channel = hub.open();
    const { client, devtools } = openTab("A", { channel, locks: createFakeLockManager() });
    await client.login(CREDENTIALS);
    const sentBefore = channel.sent.length;

    devtools.replaceAccessToken("expired-token");

    expect(channel.sent).toHaveLength(sentBefore);
  });

  it("refuses when nobody is signed in, and refuses an empty token", async () => {
    const { client, devtools } = openTab();
    expect(() => devtools.replaceAccessToken("x")).toThrow(/signed-in/);
    await client.login(CREDENTIALS);
    expect(() => devtools.replaceAccessToken("")).toThrow(TypeError);
    expect(client.store.getState().accessToken).toBe("token-1");
  });
});

describe("annotate", () => {
  it("records a typed scenario marker, and nothing else happens", () => {
    const { client, devtools } = openTab();
    devtools.annotate({ marker: "start", scenario: "expire", text: "Expire my access token now" });
    expect(client.store.getState().events).toEqual([
      expect.objectContaining({
        type: "scenario",
        marker: "start",
        scenario: "expire",
        text: "Expire my access token now",
      }),
    ]);
    expect(server.calls).toEqual([]);
  });
});
