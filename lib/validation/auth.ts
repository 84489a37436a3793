/**
 * Schemas shared by the forms (browser) and the route handlers (server). Pure:
 * no server imports, so the client bundle can use them.
 */
import { z } from "zod";
import {
  EMAIL_MAX_LENGTH,
  NAME_MAX_LENGTH,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
} from "@/lib/validation/limits";
import { isCommonPassword } from "@/lib/validation/common-passwords";

/**
 * The one email normalisation: Unicode NFKC (folds full-width and other
 * compatibility look-alikes), trimmed, lower-cased. Accounts are unique on
 * this form.
 *
 * @example
 * normalizeEmail("  Ada@Example.COM ") // "ada@example.com"
 */
export function normalizeEmail(email: string): string {
  return email.normalize("NFKC").trim().toLowerCase();
}

// No control characters (C0, DEL, C1) and no lone UTF-16 surrogates anywhere in
// user-supplied text.
const noControlChars = (value: string) => !/\p{Cc}/u.test(value) && value.isWellFormed();

// Bidirectional formatting characters (LRM/RLM, ALM, the embeddings and overrides U+202A–U+202E,
// the isolates U+2066–U+2069) reorder the text around them when it is shown: a display name
// with U+202E can make a session list or a greeting read differently from what it holds.
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
const noBidiControls = (value: string) => !BIDI_CONTROLS.test(value);

export const emailSchema = z
  .string({ error: "Email is required." })
  .max(EMAIL_MAX_LENGTH, `Email must be at most ${EMAIL_MAX_LENGTH} characters.`)
  .refine(noControlChars, "Email contains characters that are not allowed.")
  .transform(normalizeEmail)
  // Again after normalising: NFKC can lengthen ("ﬃ" becomes "ffi"), and the stored form is what
  // must fit.
  .pipe(
    z
      .email("Enter a valid email address.")
      .max(EMAIL_MAX_LENGTH, `Email must be at most ${EMAIL_MAX_LENGTH} characters.`),
  );

export const COMMON_PASSWORD_MESSAGE =
  "This password is one of the first that attackers try. Choose another: a few unrelated words work well.";

/** A new password (sign-up, change): the length rule, and not one of the commonest passwords. */
export const passwordSchema = z
  .string({ error: "Password is required." })
  .min(PASSWORD_MIN_LENGTH, `Password must be at least ${PASSWORD_MIN_LENGTH} characters.`)
  .max(PASSWORD_MAX_LENGTH, `Password must be at most ${PASSWORD_MAX_LENGTH} characters.`)
  .refine((password) => !isCommonPassword(password), COMMON_PASSWORD_MESSAGE);

export const registerSchema = z.object({
  email: emailSchema,
  password: passwordSchema,
  name: z
    .string()
    .trim()
    .max(NAME_MAX_LENGTH, `Name must be at most ${NAME_MAX_LENGTH} characters.`)
    .refine(noControlChars, "Name contains characters that are not allowed.")
    .refine(noBidiControls, "Name contains text-direction characters that are not allowed.")
    .optional()
    .transform((name) => (name ? name : undefined)),
});

export const loginSchema = z.object({
  email: emailSchema,
  // Login checks only the upper bound: a too-short password is simply wrong,
  // and saying so would reveal the policy per account.
  password: z
    .string({ error: "Password is required." })
    .min(1, "Password is required.")
    .max(PASSWORD_MAX_LENGTH, `Password must be at most ${PASSWORD_MAX_LENGTH} characters.`),
});

export const changePasswordSchema = z.object({
  currentPassword: z
    .string({ error: "Enter your current password." })
    .min(1, "Enter your current password.")
    .max(PASSWORD_MAX_LENGTH, `Password must be at most ${PASSWORD_MAX_LENGTH} characters.`),
  newPassword: passwordSchema,
});

export const sessionIdSchema = z.uuid("Not a session id.");
/** The path parameters of `/api/auth/sessions/{id}`. */
export const sessionParamsSchema = z.object({ id: sessionIdSchema });

export type RegisterInput = z.infer<typeof registerSchema>;
export type LoginInput = z.infer<typeof loginSchema>;
