import type { Metadata, Viewport } from "next";
import { cookies } from "next/headers";
import type { ReactNode } from "react";
import { AuthProvider } from "@/components/auth/auth-provider";
import { SESSION_HINT_COOKIE_NAME } from "@/lib/auth/cookie-names";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Silent refresh", template: "%s · Silent refresh" },
  description:
    "Short-lived JWT access tokens, silently refreshed with rotating, reuse-detecting refresh tokens.",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Reading cookies renders per request, which the CSP needs anyway: proxy.ts issues a fresh
  // nonce for every page view, and a prerendered page could not carry it.
  const sessionHint = (await cookies()).has(SESSION_HINT_COOKIE_NAME);
  return (
    <html lang="en">
      <body className="min-h-dvh font-sans">
        <a
          href="#main"
          className="sr-only rounded-md bg-white px-3 py-2 text-sm font-semibold text-brand-700 shadow ring-1 ring-slate-300 focus:not-sr-only focus:fixed focus:top-3 focus:left-3 focus:z-50"
        >
          Skip to content
        </a>
        <AuthProvider sessionHint={sessionHint}>{children}</AuthProvider>
      </body>
    </html>
  );
}
