"use client";

import { type ReactNode, useEffect } from "react";
import { getAuthClient } from "@/lib/client/auth-client";

/**
 * Starts the app's auth client once per page load and restores the session
 * from the httpOnly refresh cookie (one refresh call). The access token then
 * lives only in the zustand store, in memory.
 */
export function AuthProvider({ children }: { children: ReactNode }) {
  useEffect(() => {
    void getAuthClient().restoreSession();
  }, []);
  return children;
}
