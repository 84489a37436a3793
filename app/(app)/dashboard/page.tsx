import type { Metadata } from "next";
import { ExpireNowCard } from "@/components/notes/expire-now-card";
import { NotesPanel } from "@/components/notes/notes-panel";
import { ParallelRequestsDemo } from "@/components/notes/parallel-requests-demo";

export const metadata: Metadata = { title: "Dashboard" };

export default function DashboardPage() {
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Dashboard</h1>
        <div className="mt-1 max-w-3xl space-y-2 text-sm text-slate-600">
          <p>
            Everything here is fetched with the access token held in memory. Two paths keep it
            working:
          </p>
          <ul className="list-disc space-y-1 pl-5">
            <li>
              <strong className="font-medium text-slate-800">Before expiry</strong>: 30 seconds
              before the countdown in the header reaches zero, the client refreshes on its own
              (proactive refresh). That is the path you see in normal use: no 401 at all.
            </li>
            <li>
              <strong className="font-medium text-slate-800">When a token dies early</strong> (its
              session was revoked, a clock is skewed, the laptop slept through the timer): the next
              request gets a 401, the client refreshes once with the httpOnly cookie, and retries.
              &ldquo;Expire my access token now&rdquo; below makes that happen on demand.
            </li>
          </ul>
        </div>
      </div>
      <ExpireNowCard />
      <NotesPanel />
      <ParallelRequestsDemo />
    </div>
  );
}
