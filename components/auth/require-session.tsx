"use client";

import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { type ReactNode, useEffect } from "react";
import { useAuthStore } from "@/lib/client/auth-store";
import { buildLoginUrl } from "@/lib/client/redirect";

/**
 * Renders its children only for a signed-in user. proxy.ts already sent
 * visitors without a session hint to /login; this is the check that counts,
 * made after the session restore. A forced sign-out (reuse, revocation,
 * expiry) is sent to /login by the auth client itself, with its reason.
 */
export function RequireSession({ children }: { children: ReactNode }) {
  const status = useAuthStore((s) => s.status);
  const reason = useAuthStore((s) => s.signOutReason);
  const router = useRouter();
  const pathname = usePathname();
  const search = useSearchParams().toString();

  useEffect(() => {
    if (status !== "signed_out") return;
    // The client navigates for logouts and rejected refreshes; a visitor whose
    // restore found no cookie is ours to send away.
    if (reason && reason !== "refresh_token_missing") return;
    router.replace(buildLoginUrl({ next: search ? `${pathname}?${search}` : pathname }));
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
