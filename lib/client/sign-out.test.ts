import { describe, expect, it, vi } from "vitest";
import { SIGN_OUT_REASON } from "@/lib/contract";
import { TEST_USER } from "@/test/client/fakes";
import { createAuthStore, startSession } from "./auth-store";
import { createSignOut, signOutDestination } from "./sign-out";

describe("signOutDestination", () => {
  const here = "/notes?page=2";

  it("sends a logout to the login page without a way back", () => {
    expect(signOutDestination("logout", SIGN_OUT_REASON.loggedOut, here)).toBe(
      "/login?reason=logged_out",
    );
  });

  it("keeps the page in `next` after a refused refresh or another tab's sign-out", () => {
    expect(signOutDestination("refresh_rejected", SIGN_OUT_REASON.sessionRevoked, here)).toBe(
      "/login?reason=session_revoked&next=%2Fnotes%3Fpage%3D2",
    );
    expect(signOutDestination("other_tab", SIGN_OUT_REASON.loggedOutElsewhere, here)).toBe(
      "/login?reason=logged_out_elsewhere&next=%2Fnotes%3Fpage%3D2",
    );
  });

  it("stays put when the page load's restore found no session: the page decides", () => {
    expect(
      signOutDestination("restore_rejected", SIGN_OUT_REASON.refreshTokenMissing, here),
    ).toBeNull();
  });
});

describe("createSignOut", () => {
  function setUp() {
    const store = createAuthStore();
    startSession(store, { user: TEST_USER, accessToken: "t", issuedAt: 0, expiresAt: 1_000 });
    const navigate = vi.fn<(url: string) => void>();
    const onEnded = vi.fn();
    const record = vi.fn();
    const signOut = createSignOut({
      store,
      record,
      navigate,
      getCurrentPath: () => "/dashboard",
      onEnded,
    });
    return { store, navigate, onEnded, record, signOut };
  }

  it("ends the session (epoch bump, reason, event) without navigating", () => {
    const { store, navigate, onEnded, record, signOut } = setUp();
    const epoch = store.getState().epoch;

    signOut.end(SIGN_OUT_REASON.sessionExpired);

    expect(store.getState()).toMatchObject({
      status: "signed_out",
      accessToken: null,
      signOutReason: SIGN_OUT_REASON.sessionExpired,
      epoch: epoch + 1,
    });
    expect(onEnded).toHaveBeenCalledOnce();
    expect(record).toHaveBeenCalledWith({
      type: "signed_out",
      reason: SIGN_OUT_REASON.sessionExpired,
    });
    expect(navigate).not.toHaveBeenCalled();
  });

  it("leaves the page only through `leave`, to where the cause says", () => {
    const { navigate, signOut } = setUp();
    signOut.leave("restore_rejected", SIGN_OUT_REASON.refreshTokenMissing);
    expect(navigate).not.toHaveBeenCalled();
    signOut.leave("refresh_rejected", SIGN_OUT_REASON.refreshTokenReused);
    expect(navigate).toHaveBeenCalledExactlyOnceWith(
      "/login?reason=refresh_token_reused&next=%2Fdashboard",
    );
  });
});
