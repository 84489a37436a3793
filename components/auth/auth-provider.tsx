"use client";

import { createContext, type ReactNode, useContext, useEffect } from "react";
import { getAuthClient } from "@/lib/client/auth-client";

const SessionHintContext = createContext(false);

/**
 * Whether this page was served to a browser holding the session hint cookie (set and cleared
 * together with the refresh cookie, httpOnly, so only the server can read it). Pages use it to
 * render the right thing before the restore answers: with a hint, "restoring"; without, the
 * signed-out view at once, never a flash of one and then the other.
 */
export function useSessionHint(): boolean {
  return useContext(SessionHintContext);
}

/**
 * Starts the app's auth client once per page load and restores the session from the httpOnly
 * refresh cookie (one refresh call), unless the browser has no session hint: then there is no
 * cookie to restore from, and the call would only log a 401. The access token then lives only in
 * the zustand store, in memory.
 */
export function AuthProvider({
  sessionHint,
  children,
}: {
  sessionHint: boolean;
  children: ReactNode;
}) {
  useEffect(() => {
    void getAuthClient().restoreSession({ sessionHint });
  }, [sessionHint]);
  return <SessionHintContext value={sessionHint}>{children}</SessionHintContext>;
}
