import type { Metadata } from "next";
import Link from "next/link";

export const metadata: Metadata = { title: "Page not found" };

/** Every unknown page: the app's own frame, what happened, and the way back. */
export default function NotFound() {
  return (
    <div className="flex min-h-dvh flex-col">
      {/* The name is an inline-block link, py-1 around its 24 px line: a 32 px target (WCAG 2.5.8). */}
      <header className="mx-auto w-full max-w-5xl px-4 py-3">
        <Link href="/" className="inline-block py-1 font-semibold tracking-tight text-slate-900">
          Silent&nbsp;refresh
        </Link>
      </header>
      <main
        id="main"
        tabIndex={-1}
        className="flex flex-1 items-start justify-center px-4 pt-16 pb-20 outline-none"
      >
        <div className="w-full max-w-md space-y-4 rounded-xl bg-white p-8 text-center shadow-sm ring-1 ring-slate-200">
          <p className="font-mono text-sm font-semibold text-brand-700">404</p>
          <h1 className="text-2xl font-semibold tracking-tight text-slate-900">
            This page does not exist
          </h1>
          <p className="text-sm text-slate-600">
            The address may be mistyped, or the page has moved. Your session is not affected.
          </p>
          <Link
            href="/"
            className="inline-block rounded-md bg-brand-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-brand-700"
          >
            Back to the home page
          </Link>
        </div>
      </main>
    </div>
  );
}
