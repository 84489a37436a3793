import type { Metadata } from "next";
import Link from "next/link";
import { SecurityEventsPanel } from "@/components/sessions/security-events-panel";
import { SessionsPanel } from "@/components/sessions/sessions-panel";

export const metadata: Metadata = { title: "Sessions" };

export default function SessionsPage() {
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Sessions</h1>
        <p className="mt-1 max-w-2xl text-sm text-slate-600">
          Revoke a session you do not recognise. That device is signed out at its next refresh, and
          if anyone replays one of its old refresh tokens, the whole family is revoked too. If you
          think someone knows your password,{" "}
          <Link
            href="/account/password"
            className="font-medium text-brand-700 underline hover:text-brand-600"
          >
            change your password
          </Link>
          : that signs out every session at once.
        </p>
      </div>
      <SessionsPanel />
      <SecurityEventsPanel />
    </div>
  );
}
