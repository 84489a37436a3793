"use client";

import { useEffect, useState } from "react";
import { useAuthStore } from "@/lib/client/auth-store";

function formatRemaining(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  return `${minutes}:${String(seconds).padStart(2, "0")}`;
}

/**
 * Live time left on the in-memory access token. It jumps back up each time
 * the client refreshes (proactively, or after a 401).
 */
export function TokenCountdown() {
  const expiresAt = useAuthStore((s) => s.accessTokenExpiresAt);
  const [now, setNow] = useState(() => Date.now());

  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);

  if (expiresAt === null) return null;
  const remaining = expiresAt - now;
  const expired = remaining <= 0;
  return (
    <span
      data-testid="token-countdown"
      title="Time left on the access token held in memory"
      className={`inline-flex shrink-0 items-center gap-1.5 rounded-full px-2.5 py-1 font-mono text-xs whitespace-nowrap ring-1 ring-inset ${
        expired
          ? "bg-amber-50 text-amber-800 ring-amber-200"
          : "bg-emerald-50 text-emerald-800 ring-emerald-200"
      }`}
    >
      <span
        aria-hidden
        className={`size-1.5 rounded-full ${expired ? "bg-amber-500" : "bg-emerald-500"}`}
      />
      {/* On a phone the pill shows the time alone; the words stay for screen readers. */}
      <span className="sr-only sm:not-sr-only">access token </span>
      {expired ? "expired" : formatRemaining(remaining)}
    </span>
  );
}
