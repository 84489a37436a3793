import Link from "next/link";
import { FlowDiagram } from "@/components/landing/flow-diagram";
import { LandingActions } from "@/components/landing/landing-actions";

const NAV_LINKS = [
  { href: "/dashboard", label: "Dashboard" },
  { href: "/sessions", label: "Sessions" },
  { href: "/inspector", label: "Inspector" },
] as const;

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
      {/* Each link is a 32 px tall target (WCAG 2.5.8 asks for 24 × 24); on a phone the links
          wrap under the name rather than squeeze beside it. -mx-2 lines their text up with the
          page's edges. */}
      <header className="flex flex-wrap items-center justify-between gap-x-4 gap-y-2">
        <span className="font-semibold tracking-tight">Silent&nbsp;refresh</span>
        <nav aria-label="Main" className="-mx-2 flex gap-1 text-sm text-slate-600">
          {NAV_LINKS.map((link) => (
            <Link
              key={link.href}
              href={link.href}
              className="rounded-md px-2 py-1.5 hover:bg-slate-100 hover:text-slate-900"
            >
              {link.label}
            </Link>
          ))}
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
