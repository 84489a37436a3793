import type { Metadata, Viewport } from "next";
import { connection } from "next/server";
import type { ReactNode } from "react";
import { AuthProvider } from "@/components/auth/auth-provider";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Silent refresh", template: "%s · Silent refresh" },
  description:
    "Short-lived JWT access tokens, silently refreshed with rotating, reuse-detecting refresh tokens.",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Render per request: proxy.ts issues a fresh CSP nonce for every page view,
  // and a prerendered page could not carry it.
  await connection();
  return (
    <html lang="en">
      <body className="min-h-dvh font-sans">
        <AuthProvider>{children}</AuthProvider>
      </body>
    </html>
  );
}
