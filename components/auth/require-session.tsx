"use client";

import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { type ReactNode, useEffect, useRef } from "react";
import { useAuthStore } from "@/lib/client/auth-store";
import { buildLoginUrl } from "@/lib/client/redirect";
import { SIGN_OUT_REASON } from "@/lib/contract";

/**
 * Renders its children only for a signed-in user. proxy.ts already sent visitors without a
 * session hint to /login; this is the check that counts, made after the session restore.
 *
 * Who navigates: a session that ends while this page shows it (logout, reuse, revocation found by
 * a refresh, another tab) is sent to /login by the auth client itself, with its reason. A restore
 * that finds no session (no cookie, or a dead one) never navigates in the client, because public
 * pages keep such a visitor; here, on a page that needs a user, we send them to /login, saying why
 * unless there simply was no cookie.
 */
export function RequireSession({ children }: { children: ReactNode }) {
  const status = useAuthStore((s) => s.status);
  const reason = useAuthStore((s) => s.signOutReason);
  const router = useRouter();
  const pathname = usePathname();
  const search = useSearchParams().toString();
  // Set once this page has shown a session: from then on the client does the navigating.
  const wasSignedIn = useRef(false);

  useEffect(() => {
    if (status === "authenticated") wasSignedIn.current = true;
  }, [status]);

  useEffect(() => {
    if (status !== "signed_out" || wasSignedIn.current) return;
    router.replace(
      buildLoginUrl({
        reason: reason === SIGN_OUT_REASON.refreshTokenMissing ? null : reason,
        next: search ? `${pathname}?${search}` : pathname,
      }),
    );
  }, [status, reason, router, pathname, search]);

  if (status !== "authenticated") {
    return (
      <div role="status" className="flex items-center gap-3 py-16 text-sm text-slate-500">
        <span
          aria-hidden
          className="size-4 animate-spin rounded-full border-2 border-slate-400 border-r-transparent"
        />
        {status === "unknown" ? "Restoring your session…" : "Signing you out…"}
      </div>
    );
  }
  return children;
}
