import Link from "next/link";
import { FlowDiagram } from "@/components/landing/flow-diagram";
import { LandingActions } from "@/components/landing/landing-actions";

const POINTS = [
  {
    title: "Access token: short-lived, in memory",
    body: "A JWT signed with ES256 that lives five minutes and only in a JavaScript variable. Protected routes verify its signature without a database lookup, and refuse it within a second once its session is revoked.",
  },
  {
    title: "Refresh token: opaque, httpOnly, rotating",
    body: "256 random bits in a cookie page scripts cannot read. Each use spends it and issues a successor; the database keeps only a SHA-256 hash.",
  },
  {
    title: "Reuse means theft",
    body: "A spent refresh token that comes back (outside a short grace window for lost responses) revokes the whole session family, for the thief and the victim alike.",
  },
];

export default function HomePage() {
  return (
    <div className="mx-auto max-w-5xl px-4 py-12 sm:py-16">
      <header className="flex items-center justify-between">
        <span className="font-semibold tracking-tight">Silent&nbsp;refresh</span>
        <nav aria-label="Main" className="flex gap-4 text-sm text-slate-600">
          <Link href="/dashboard" className="hover:text-slate-900">
            Dashboard
          </Link>
          <Link href="/sessions" className="hover:text-slate-900">
            Sessions
          </Link>
          <Link href="/inspector" className="hover:text-slate-900">
            Inspector
          </Link>
        </nav>
      </header>
      <main id="main" tabIndex={-1} className="mt-12 space-y-12 outline-none">
        <section className="max-w-3xl space-y-5">
          <h1 className="text-4xl font-semibold tracking-tight text-slate-900 sm:text-5xl">
            Short-lived access tokens, refreshed without anyone noticing.
          </h1>
          <p className="text-lg text-slate-600">
            A working reference for the access/refresh token pattern. Sign in and watch the access
            token count down in the header. Thirty seconds before it runs out, the client refreshes
            it on its own with its httpOnly cookie (proactive refresh). When a token dies early
            anyway (its session revoked, a clock skewed, a laptop asleep through the timer), the
            next request fails with 401, the client refreshes exactly once, and retries. Either way
            you stay signed in; the dashboard&apos;s &ldquo;Expire my access token now&rdquo; shows
            the second path on demand.
          </p>
          <LandingActions />
        </section>
        <section aria-labelledby="how" className="space-y-4">
          <h2 id="how" className="text-xl font-semibold tracking-tight">
            How a request flows
          </h2>
          <FlowDiagram />
        </section>
        <section className="grid gap-4 sm:grid-cols-3">
          {POINTS.map((point) => (
            <div
              key={point.title}
              className="rounded-xl bg-white p-5 shadow-sm ring-1 ring-slate-200"
            >
              <h3 className="text-sm font-semibold text-slate-900">{point.title}</h3>
              <p className="mt-2 text-sm text-slate-600">{point.body}</p>
            </div>
          ))}
        </section>
      </main>
    </div>
  );
}
