"use client";

import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { type FormEvent, type ReactNode, useEffect, useRef, useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/text-field";
import { ApiError, type ApiErrorFields, describeRetryAfter } from "@/lib/client/api-error";
import { getAuthClient } from "@/lib/client/auth-client";
import { useAuthStore } from "@/lib/client/auth-store";
import { buildLoginUrl, describeSignOutReason, sanitizeNextPath } from "@/lib/client/redirect";
import { ERROR_CODE, SIGN_OUT_REASON } from "@/lib/contract";
import { registerSchema } from "@/lib/validation/auth";
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "@/lib/validation/limits";

type Mode = "login" | "register";

const COPY = {
  login: {
    title: "Sign in",
    submit: "Sign in",
    pending: "Signing in…",
    switchText: "No account yet?",
    switchLink: "Create one",
    switchHref: "/register",
  },
  register: {
    title: "Create an account",
    submit: "Create account",
    pending: "Creating account…",
    switchText: "Already registered?",
    switchLink: "Sign in",
    switchHref: "/login",
  },
} as const;

/**
 * The login and register forms. Errors come from the server (field-level for 400
 * `ERROR_CODE.invalidRequest`, one message otherwise) or, for sign-up, first from the same zod schema the
 * server uses; after a failed submit, focus moves to the first field in error (or the message).
 * The sign-out reason from the URL is shown above the form; after success we go to `next`
 * (same-origin paths only) or the dashboard.
 *
 * A signed-in user who opens this page (their session restored) is sent on to `next` as well. A
 * visitor whose cookie turned out dead stays: the restore never navigates, and the inputs are
 * uncontrolled, so what they typed meanwhile is kept.
 */
export function AuthForm({ mode }: { mode: Mode }) {
  const copy = COPY[mode];
  const router = useRouter();
  const params = useSearchParams();
  const next = sanitizeNextPath(params.get("next"), "/dashboard");
  const reason = describeSignOutReason(params.get("reason"));
  const status = useAuthStore((s) => s.status);
  const [pending, setPending] = useState(false);
  const [fields, setFields] = useState<ApiErrorFields>({});
  const [formError, setFormError] = useState<ReactNode>(null);
  const [failedSubmits, setFailedSubmits] = useState(0);
  const formRef = useRef<HTMLFormElement>(null);
  const formErrorRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (status === "authenticated") router.replace(next);
  }, [status, router, next]);

  useEffect(() => {
    if (failedSubmits === 0) return;
    const firstInvalid = formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]');
    (firstInvalid ?? formErrorRef.current)?.focus();
  }, [failedSubmits]);

  function fail(nextFields: ApiErrorFields, message: ReactNode) {
    setPending(false);
    setFields(nextFields);
    setFormError(message);
    setFailedSubmits((n) => n + 1);
  }

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const email = String(data.get("email") ?? "");
    const password = String(data.get("password") ?? "");
    const name = String(data.get("name") ?? "").trim();
    if (mode === "register") {
      const checked = registerSchema.safeParse({ email, password, ...(name && { name }) });
      if (!checked.success) {
        fail(checked.error.flatten().fieldErrors, null);
        return;
      }
    }
    setPending(true);
    setFields({});
    setFormError(null);
    try {
      const client = getAuthClient();
      if (mode === "login") await client.login({ email, password });
      else await client.register({ email, password, ...(name && { name }) });
      // The effect above moves on once the store says "authenticated".
    } catch (error) {
      if (!(error instanceof ApiError)) {
        fail({}, "Could not reach the server. Check your connection and try again.");
      } else if (error.fields) {
        fail(error.fields, null);
      } else {
        fail({}, describeFailure(error, next));
      }
    }
  }

  const switchHref = params.get("next")
    ? `${copy.switchHref}?next=${encodeURIComponent(next)}`
    : copy.switchHref;

  return (
    <div className="mx-auto w-full max-w-sm">
      <h1 className="text-2xl font-semibold tracking-tight text-slate-900">{copy.title}</h1>
      <div className="mt-6 space-y-4">
        {reason && (
          <Alert tone={params.get("reason") === SIGN_OUT_REASON.loggedOut ? "info" : "warning"}>
            <span data-testid="sign-out-reason">{reason}</span>
            {params.get("reason") === SIGN_OUT_REASON.refreshTokenReused && (
              <>
                {" "}
                <Link
                  href={buildLoginUrl({ next: "/account/password" })}
                  className="font-semibold underline"
                >
                  Sign in and change your password
                </Link>
              </>
            )}
          </Alert>
        )}
        {formError && (
          <div ref={formErrorRef} tabIndex={-1} data-testid="form-error" className="outline-none">
            <Alert tone="error">{formError}</Alert>
          </div>
        )}
        <form
          ref={formRef}
          onSubmit={onSubmit}
          noValidate
          className="space-y-4"
          aria-label={copy.title}
        >
          {mode === "register" && (
            <TextField
              label="Name (optional)"
              name="name"
              autoComplete="name"
              errors={fields.name}
            />
          )}
          <TextField
            label="Email"
            name="email"
            type="email"
            autoComplete="email"
            required
            errors={fields.email}
          />
          <TextField
            label="Password"
            name="password"
            type="password"
            autoComplete={mode === "login" ? "current-password" : "new-password"}
            required
            maxLength={PASSWORD_MAX_LENGTH}
            hint={
              mode === "register"
                ? `${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters.`
                : undefined
            }
            errors={fields.password}
          />
          <Button type="submit" pending={pending} className="w-full">
            {pending ? copy.pending : copy.submit}
          </Button>
        </form>
        <p className="text-center text-sm text-slate-600">
          {copy.switchText}{" "}
          <Link href={switchHref} className="font-medium text-brand-600 hover:text-brand-700">
            {copy.switchLink}
          </Link>
        </p>
      </div>
    </div>
  );
}

/** The sentence for a refused sign-in or sign-up, with the way forward where there is one. */
function describeFailure(error: ApiError, next: string): ReactNode {
  if (error.code === ERROR_CODE.emailTaken) {
    // The email stays out of the URL (URLs end up in logs); the browser's autofill has it.
    const query = new URLSearchParams(next !== "/dashboard" ? { next } : {}).toString();
    return (
      <>
        An account with this email already exists.{" "}
        <Link href={query ? `/login?${query}` : "/login"} className="font-semibold underline">
          Sign in instead
        </Link>
      </>
    );
  }
  if (error.status === 429 && error.retryAfterSeconds !== null) {
    const at = new Date(Date.now() + error.retryAfterSeconds * 1000);
    const clock = at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    return `Too many attempts. Try again ${describeRetryAfter(error.retryAfterSeconds)} (at ${clock}).`;
  }
  return error.message;
}
