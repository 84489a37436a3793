"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { useState } from "react";
import { TokenCountdown } from "@/components/auth/token-countdown";
import { Button } from "@/components/ui/button";
import { getAuthClient } from "@/lib/client/auth-client";
import { useAuthStore } from "@/lib/client/auth-store";

const NAV_LINKS = [
  { href: "/", label: "Home" },
  { href: "/dashboard", label: "Dashboard" },
  { href: "/sessions", label: "Sessions" },
  { href: "/inspector", label: "Inspector" },
] as const;

/** Who is signed in, the access token's countdown, links to every page, and Log out. */
export function AppHeader() {
  const user = useAuthStore((s) => s.user);
  const status = useAuthStore((s) => s.status);
  const pathname = usePathname();
  const [loggingOut, setLoggingOut] = useState(false);

  async function logout() {
    setLoggingOut(true);
    await getAuthClient().logout();
  }

  return (
    <header className="border-b border-slate-200 bg-white">
      <div className="mx-auto flex max-w-5xl flex-wrap items-center gap-x-6 gap-y-3 px-4 py-3">
        <Link href="/" className="font-semibold tracking-tight text-slate-900">
          Silent&nbsp;refresh
        </Link>
        <nav aria-label="Main" className="flex gap-1 text-sm">
          {NAV_LINKS.map((link) => (
            <Link
              key={link.href}
              href={link.href}
              aria-current={pathname === link.href ? "page" : undefined}
              className="rounded-md px-2.5 py-1.5 text-slate-600 hover:bg-slate-100 hover:text-slate-900 aria-[current=page]:bg-brand-50 aria-[current=page]:font-medium aria-[current=page]:text-brand-700"
            >
              {link.label}
            </Link>
          ))}
        </nav>
        <div className="ml-auto flex flex-wrap items-center gap-3">
          <TokenCountdown />
          {status === "authenticated" && user && (
            <>
              <span className="text-sm text-slate-600" data-testid="signed-in-as">
                Signed in as <strong className="font-medium text-slate-900">{user.email}</strong>
              </span>
              <Button variant="secondary" onClick={logout} pending={loggingOut}>
                Log out
              </Button>
            </>
          )}
        </div>
      </div>
    </header>
  );
}
