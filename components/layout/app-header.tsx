"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { useEffect, useId, useRef, useState } from "react";
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

const NAV_LINK_CLASSES =
  "rounded-md px-2.5 py-1.5 text-slate-600 hover:bg-slate-100 hover:text-slate-900 aria-[current=page]:bg-brand-50 aria-[current=page]:font-medium aria-[current=page]:text-brand-700";

/**
 * One row at every width: the name, the page links (md and up), the access token's countdown,
 * and a menu holding who is signed in, "Change password" and "Log out". Below md the same menu
 * also carries the page links, so a phone shows three things, not a wrapped pile of buttons.
 */
export function AppHeader() {
  const user = useAuthStore((s) => s.user);
  const status = useAuthStore((s) => s.status);
  const pathname = usePathname();

  return (
    <header className="border-b border-slate-200 bg-white">
      <div className="mx-auto flex max-w-5xl items-center gap-x-4 px-4 py-3 sm:gap-x-6">
        <Link href="/" className="shrink-0 font-semibold tracking-tight text-slate-900">
          Silent&nbsp;refresh
        </Link>
        <nav aria-label="Main" className="hidden gap-1 text-sm md:flex">
          {NAV_LINKS.map((link) => (
            <Link
              key={link.href}
              href={link.href}
              aria-current={pathname === link.href ? "page" : undefined}
              className={NAV_LINK_CLASSES}
            >
              {link.label}
            </Link>
          ))}
        </nav>
        <div className="ml-auto flex min-w-0 items-center gap-3">
          <TokenCountdown />
          {status === "authenticated" && user && (
            <UserMenu key={pathname} email={user.email} pathname={pathname} />
          )}
        </div>
      </div>
    </header>
  );
}

function UserMenu({ email, pathname }: { email: string; pathname: string }) {
  const [open, setOpen] = useState(false);
  const [loggingOut, setLoggingOut] = useState(false);
  const menuId = useId();
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);

  // Closes on a click elsewhere and on Escape (focus back on the button); the header remounts
  // the menu on navigation (key={pathname}), which closes it too.
  useEffect(() => {
    if (!open) return;
    const onPointerDown = (event: PointerEvent) => {
      if (!root.current?.contains(event.target as Node)) setOpen(false);
    };
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key !== "Escape") return;
      setOpen(false);
      button.current?.focus();
    };
    document.addEventListener("pointerdown", onPointerDown);
    document.addEventListener("keydown", onKeyDown);
    return () => {
      document.removeEventListener("pointerdown", onPointerDown);
      document.removeEventListener("keydown", onKeyDown);
    };
  }, [open]);

  async function logout() {
    setLoggingOut(true);
    await getAuthClient().logout();
  }

  return (
    <div ref={root} className="relative min-w-0">
      <button
        ref={button}
        type="button"
        aria-expanded={open}
        aria-controls={menuId}
        onClick={() => setOpen((value) => !value)}
        data-testid="user-menu-button"
        className="flex min-w-0 items-center gap-1.5 rounded-md px-2.5 py-1.5 text-sm text-slate-700 ring-1 ring-slate-300 ring-inset hover:bg-slate-50"
      >
        <span aria-hidden className="md:hidden">
          Menu
        </span>
        <span
          data-testid="signed-in-as"
          className="sr-only md:not-sr-only md:truncate md:max-w-[16rem]"
        >
          <span className="sr-only">Signed in as </span>
          {email}
        </span>
        <svg
          aria-hidden
          viewBox="0 0 20 20"
          className="size-4 shrink-0 fill-current text-slate-500"
        >
          <path d="M5.5 7.5 10 12l4.5-4.5z" />
        </svg>
      </button>
      {open && (
        <div
          id={menuId}
          data-testid="user-menu"
          className="absolute top-full right-0 z-20 mt-2 w-64 rounded-lg bg-white p-2 text-sm shadow-lg ring-1 ring-slate-200"
        >
          <p className="px-2.5 py-2 break-all text-slate-600">
            Signed in as <strong className="font-medium text-slate-900">{email}</strong>
          </p>
          <nav aria-label="Pages" className="border-t border-slate-100 py-1 md:hidden">
            {NAV_LINKS.map((link) => (
              <Link
                key={link.href}
                href={link.href}
                aria-current={pathname === link.href ? "page" : undefined}
                className={`block ${NAV_LINK_CLASSES}`}
              >
                {link.label}
              </Link>
            ))}
          </nav>
          <div className="space-y-1 border-t border-slate-100 pt-2">
            <Link
              href="/account/password"
              aria-current={pathname === "/account/password" ? "page" : undefined}
              className={`block ${NAV_LINK_CLASSES}`}
            >
              Change password
            </Link>
            <Button
              variant="secondary"
              onClick={() => void logout()}
              pending={loggingOut}
              className="w-full"
            >
              Log out
            </Button>
          </div>
        </div>
      )}
    </div>
  );
}
