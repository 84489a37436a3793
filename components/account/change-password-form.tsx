"use client";

import { type FormEvent, useEffect, useRef, useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/text-field";
import { ApiError, type ApiErrorFields, describeRetryAfter } from "@/lib/client/api-error";
import { getAuthClient } from "@/lib/client/auth-client";
import { ERROR_CODE } from "@/lib/contract";
import { changePasswordSchema } from "@/lib/validation/auth";
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "@/lib/validation/limits";

type Result = { tone: "info"; text: string } | { tone: "error"; text: string } | null;

/**
 * The change-password form. The new password is checked first with the schema the server uses
 * (length, not a common password), then sent through the auth client's `changePassword`, which
 * adopts the new session the server starts for this browser. After a failed submit, focus moves
 * to the first field in error, or to the message.
 */
export function ChangePasswordForm() {
  const [pending, setPending] = useState(false);
  const [fields, setFields] = useState<ApiErrorFields>({});
  const [result, setResult] = useState<Result>(null);
  const [attempts, setAttempts] = useState(0);
  const formRef = useRef<HTMLFormElement>(null);
  const resultRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (attempts === 0) return;
    const firstInvalid = formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]');
    (firstInvalid ?? resultRef.current)?.focus();
  }, [attempts]);

  function finish(nextFields: ApiErrorFields, nextResult: Result) {
    setPending(false);
    setFields(nextFields);
    setResult(nextResult);
    setAttempts((n) => n + 1);
  }

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const input = {
      currentPassword: String(data.get("currentPassword") ?? ""),
      newPassword: String(data.get("newPassword") ?? ""),
    };
    const checked = changePasswordSchema.safeParse(input);
    if (!checked.success) {
      finish(checked.error.flatten().fieldErrors, null);
      return;
    }
    if (input.newPassword !== String(data.get("confirmPassword") ?? "")) {
      finish({ confirmPassword: ["The two new passwords differ."] }, null);
      return;
    }
    if (input.newPassword === input.currentPassword) {
      finish({ newPassword: ["The new password is the same as the current one."] }, null);
      return;
    }
    setPending(true);
    setFields({});
    setResult(null);
    try {
      const { revokedSessions } = await getAuthClient().changePassword(input);
      form.reset();
      finish(
        {},
        {
          tone: "info",
          text: `Password changed. ${describeRevoked(revokedSessions)} This browser has a new session and stays signed in.`,
        },
      );
    } catch (error) {
      if (!(error instanceof ApiError)) {
        finish({}, { tone: "error", text: "Could not reach the server. Try again." });
      } else if (error.fields) {
        finish(error.fields, null);
      } else if (error.code === ERROR_CODE.invalidCurrentPassword) {
        finish({ currentPassword: [error.message] }, null);
      } else if (error.status === 429 && error.retryAfterSeconds !== null) {
        finish(
          {},
          {
            tone: "error",
            text: `Too many attempts. Try again ${describeRetryAfter(error.retryAfterSeconds)}.`,
          },
        );
      } else {
        finish({}, { tone: "error", text: error.message });
      }
    }
  }

  return (
    <div className="space-y-4 rounded-xl bg-white p-6 shadow-sm ring-1 ring-slate-200">
      {result && (
        <div ref={resultRef} tabIndex={-1} data-testid="password-result" className="outline-none">
          <Alert tone={result.tone}>{result.text}</Alert>
        </div>
      )}
      <form
        ref={formRef}
        onSubmit={onSubmit}
        noValidate
        aria-label="Change password"
        className="space-y-4"
      >
        <TextField
          label="Current password"
          name="currentPassword"
          type="password"
          autoComplete="current-password"
          required
          maxLength={PASSWORD_MAX_LENGTH}
          errors={fields.currentPassword}
        />
        <TextField
          label="New password"
          name="newPassword"
          type="password"
          autoComplete="new-password"
          required
          maxLength={PASSWORD_MAX_LENGTH}
          hint={`${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters, not a common password.`}
          errors={fields.newPassword}
        />
        <TextField
          label="New password, again"
          name="confirmPassword"
          type="password"
          autoComplete="new-password"
          required
          maxLength={PASSWORD_MAX_LENGTH}
          errors={fields.confirmPassword}
        />
        <Button type="submit" pending={pending}>
          {pending ? "Changing password…" : "Change password"}
        </Button>
      </form>
    </div>
  );
}

function describeRevoked(count: number): string {
  if (count === 0) return "No other session was signed in.";
  return `${count} session${count === 1 ? " was" : "s were"} signed out.`;
}
