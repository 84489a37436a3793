import { describe, expect, it, vi } from "vitest";
import { SIGN_OUT_REASON } from "@/lib/contract";
import { FakeChannelHub, flushPromises, TEST_USER } from "@/test/client/fakes";
import type { AuthEventData } from "./auth-events";
import { createAuthStore, type SessionSnapshot, startSession } from "./auth-store";
import type { SignOut } from "./sign-out";
import { createTabSync, readBroadcast } from "./tab-sync";

const session = (accessToken: string, expiresAt = 900_000, user = TEST_USER): SessionSnapshot => ({
  user,
  accessToken,
  issuedAt: 0,
  expiresAt,
});

/** Two tabs on one hub: `sender` only posts, `receiver` is the sync under test. */
function setUp() {
  const hub = new FakeChannelHub();
  const sender = hub.open();
  const store = createAuthStore();
  const events: AuthEventData[] = [];
  const signOut: SignOut = { end: vi.fn(), leave: vi.fn() };
  const onAdopted = vi.fn();
  const sync = createTabSync({
    channel: hub.open(),
    store,
    record: (data) => events.push(data),
    signOut,
    onAdopted,
  });
  sync.start();
  return { sender, store, events, signOut, onAdopted, sync };
}

describe("readBroadcast", () => {
  it("accepts our two messages and refuses anything else", () => {
    const message = { type: "session", session: session("t") };
    expect(readBroadcast(structuredClone(message))).toEqual(message);
    expect(readBroadcast({ type: "signed_out", reason: SIGN_OUT_REASON.loggedOut })).toEqual({
      type: "signed_out",
      reason: SIGN_OUT_REASON.loggedOut,
    });
    expect(readBroadcast({ type: "signed_out", reason: "<script>" })).toBeNull();
    expect(
      readBroadcast({ type: "signed_out", reason: SIGN_OUT_REASON.loggedOutElsewhere }),
    ).toBeNull();
    expect(readBroadcast({ type: "session", session: { accessToken: 1 } })).toBeNull();
    expect(readBroadcast("hello")).toBeNull();
  });
});

describe("a tab receiving", () => {
  it("a login from another tab starts that session here and re-arms the timer", async () => {
    const { sender, store, events, onAdopted } = setUp();
    sender.postMessage({ type: "session", session: session("token-9") });
    await flushPromises();

    expect(store.getState()).toMatchObject({ status: "authenticated", accessToken: "token-9" });
    expect(events.map((e) => e.type)).toEqual(["broadcast_received", "token_adopted"]);
    expect(events[1]).toMatchObject({ source: "other_tab", token: "…oken-9" });
    expect(onAdopted).toHaveBeenCalledOnce();
  });

  it("never trades its token for one that dies sooner (messages arrive out of order)", async () => {
    const { sender, store } = setUp();
    startSession(store, session("newer", 900_000));
    sender.postMessage({ type: "session", session: session("older", 600_000) });
    await flushPromises();
    expect(store.getState().accessToken).toBe("newer");
  });

  it("a sign-out elsewhere ends this session and leaves the page it showed", async () => {
    const { sender, store, signOut } = setUp();
    startSession(store, session("t"));
    sender.postMessage({ type: "signed_out", reason: SIGN_OUT_REASON.loggedOut });
    await flushPromises();

    expect(signOut.end).toHaveBeenCalledWith(SIGN_OUT_REASON.loggedOutElsewhere);
    expect(signOut.leave).toHaveBeenCalledWith("other_tab", SIGN_OUT_REASON.loggedOutElsewhere);
  });

  it("a sign-out while still restoring ends the restore, and does not navigate", async () => {
    const { sender, signOut } = setUp();
    sender.postMessage({ type: "signed_out", reason: SIGN_OUT_REASON.sessionRevoked });
    await flushPromises();
    expect(signOut.end).toHaveBeenCalledWith(SIGN_OUT_REASON.sessionRevoked);
    expect(signOut.leave).not.toHaveBeenCalled();
  });

  it("nothing after stop()", async () => {
    const { sender, store, sync } = setUp();
    sync.stop();
    sender.postMessage({ type: "session", session: session("t") });
    await flushPromises();
    expect(store.getState().status).toBe("unknown");
  });
});

describe("a tab sending", () => {
  it("posts the message and logs it with the token as a fingerprint", () => {
    const hub = new FakeChannelHub();
    const channel = hub.open();
    const events: AuthEventData[] = [];
    const sync = createTabSync({
      channel,
      store: createAuthStore(),
      record: (data) => events.push(data),
      signOut: { end: vi.fn(), leave: vi.fn() },
      onAdopted: vi.fn(),
    });
    sync.broadcast({ type: "session", session: session("secret-token-abcdef") });
    expect(channel.sent).toHaveLength(1);
    expect(events).toEqual([
      { type: "broadcast_sent", message: { kind: "session", token: "…abcdef" } },
    ]);
  });

  it("logs a channel that throws instead of failing", () => {
    const events: AuthEventData[] = [];
    const sync = createTabSync({
      channel: {
        postMessage: () => {
          throw new Error("DataCloneError");
        },
        addEventListener: () => {},
        removeEventListener: () => {},
      },
      store: createAuthStore(),
      record: (data) => events.push(data),
      signOut: { end: vi.fn(), leave: vi.fn() },
      onAdopted: vi.fn(),
    });
    sync.broadcast({ type: "signed_out", reason: SIGN_OUT_REASON.loggedOut });
    expect(events[0]).toMatchObject({ type: "broadcast_sent", error: "DataCloneError" });
  });
});
