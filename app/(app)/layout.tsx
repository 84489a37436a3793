import { type ReactNode, Suspense } from "react";
import { RequireSession } from "@/components/auth/require-session";
import { AppHeader } from "@/components/layout/app-header";

/** Pages that need a user: the header, and the session check around the page. */
export default function SignedInLayout({ children }: { children: ReactNode }) {
  return (
    <>
      <AppHeader />
      <main id="main" tabIndex={-1} className="mx-auto max-w-5xl px-4 py-8 outline-none">
        <Suspense>
          <RequireSession>{children}</RequireSession>
        </Suspense>
      </main>
    </>
  );
}
