import Link from "next/link";
import type { ReactNode } from "react";

/** Public pages for signing in: a quiet frame around a single form. */
export default function AuthLayout({ children }: { children: ReactNode }) {
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
        className="flex flex-1 outline-none items-start justify-center px-4 pt-10 pb-20 sm:pt-20"
      >
        <div className="w-full rounded-xl bg-white p-6 shadow-sm ring-1 ring-slate-200 sm:max-w-md sm:p-8">
          {children}
        </div>
      </main>
    </div>
  );
}
