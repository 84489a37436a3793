"use client";

import Link from "next/link";
import { useSessionHint } from "@/components/auth/auth-provider";
import { useAuthStore } from "@/lib/client/auth-store";

const PRIMARY =
  "rounded-md bg-brand-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-brand-700";
const SECONDARY =
  "rounded-md bg-white px-4 py-2 text-sm font-semibold text-slate-800 shadow-sm ring-1 ring-inset ring-slate-300 hover:bg-slate-50";

/**
 * Sign-in links for visitors; links into the app for a restored session. A browser with the
 * session hint sees neither while its session is being restored (a returning user would
 * otherwise see "Sign in" flash before their own links); one without it gets the sign-in links
 * from the first paint, server-rendered.
 */
export function LandingActions() {
  const status = useAuthStore((s) => s.status);
  const email = useAuthStore((s) => s.user?.email);
  const sessionHint = useSessionHint();
  if (status === "unknown" && sessionHint) {
    return (
      <p
        role="status"
        data-testid="landing-restoring"
        className="flex h-9 items-center text-sm text-slate-600"
      >
        Restoring your session…
      </p>
    );
  }
  if (status === "authenticated") {
    return (
      <div className="flex flex-wrap items-center gap-3">
        <Link href="/dashboard" className={PRIMARY}>
          Go to your dashboard
        </Link>
        <Link href="/inspector" className={SECONDARY}>
          Open the inspector
        </Link>
        <Link href="/sessions" className={SECONDARY}>
          Your sessions
        </Link>
        <span className="text-sm text-slate-600">Signed in as {email}</span>
      </div>
    );
  }
  return (
    <div className="flex flex-wrap gap-3">
      <Link href="/register" className={PRIMARY}>
        Create an account
      </Link>
      <Link href="/login" className={SECONDARY}>
        Sign in
      </Link>
    </div>
  );
}
