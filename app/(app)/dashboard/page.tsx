import type { Metadata } from "next";
import { NotesPanel } from "@/components/notes/notes-panel";
import { ParallelRequestsDemo } from "@/components/notes/parallel-requests-demo";

export const metadata: Metadata = { title: "Dashboard" };

export default function DashboardPage() {
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Dashboard</h1>
        <p className="mt-1 max-w-2xl text-sm text-slate-600">
          Everything here is fetched with the access token held in memory. When it expires, the next
          request gets a 401, the client refreshes once with the httpOnly cookie, and retries. Watch
          the countdown in the header.
        </p>
      </div>
      <NotesPanel />
      <ParallelRequestsDemo />
    </div>
  );
}
