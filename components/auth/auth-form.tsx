"use client";

import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { type FormEvent, useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/text-field";
import { ApiError, type ApiErrorFields } from "@/lib/client/api-error";
import { getAuthClient } from "@/lib/client/auth-client";
import { describeSignOutReason, sanitizeNextPath } from "@/lib/client/redirect";
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
 * The login and register forms. Errors come from the server (field-level for
 * 400 invalid_request, one message otherwise); the sign-out reason from the
 * URL is shown above the form; after success we go to `next` (same-origin
 * paths only) or the dashboard.
 */
export function AuthForm({ mode }: { mode: Mode }) {
  const copy = COPY[mode];
  const router = useRouter();
  const params = useSearchParams();
  const next = sanitizeNextPath(params.get("next"), "/dashboard");
  const reason = describeSignOutReason(params.get("reason"));
  const [pending, setPending] = useState(false);
  const [fields, setFields] = useState<ApiErrorFields>({});
  const [formError, setFormError] = useState<string | null>(null);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const email = String(data.get("email") ?? "");
    const password = String(data.get("password") ?? "");
    const name = String(data.get("name") ?? "").trim();
    setPending(true);
    setFields({});
    setFormError(null);
    try {
      const client = getAuthClient();
      if (mode === "login") await client.login({ email, password });
      else await client.register({ email, password, ...(name && { name }) });
      router.replace(next);
    } catch (error) {
      setPending(false);
      if (error instanceof ApiError) {
        if (error.fields) setFields(error.fields);
        else setFormError(error.message);
      } else {
        setFormError("Could not reach the server. Check your connection and try again.");
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
          <div data-testid="sign-out-reason">
            <Alert tone={params.get("reason") === "logged_out" ? "info" : "warning"}>
              {reason}
            </Alert>
          </div>
        )}
        {formError && <Alert tone="error">{formError}</Alert>}
        <form onSubmit={onSubmit} noValidate className="space-y-4" aria-label={copy.title}>
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
