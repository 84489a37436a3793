import { describe, expect, it } from "vitest";
import {
  COMMON_PASSWORD_MESSAGE,
  changePasswordSchema,
  passwordSchema,
  registerSchema,
} from "@/lib/validation/auth";

describe("passwordSchema", () => {
  it.each(["password", "12345678", "Password1", "  qwertyuiop ", "P@SSW0RD"])(
    "refuses the common password %j with a clear message",
    (password) => {
      const result = passwordSchema.safeParse(password);
      expect(result.success).toBe(false);
      expect(result.error?.issues.map((i) => i.message)).toContain(COMMON_PASSWORD_MESSAGE);
    },
  );

  it("accepts an uncommon passphrase", () => {
    expect(passwordSchema.safeParse("correct horse 7f3a").success).toBe(true);
  });

  it("is the rule of sign-up and of a password change (the server and the forms share it)", () => {
    const register = registerSchema.safeParse({ email: "a@example.test", password: "12345678" });
    expect(register.error?.flatten().fieldErrors.password).toEqual([COMMON_PASSWORD_MESSAGE]);
    const change = changePasswordSchema.safeParse({
      currentPassword: "whatever it was",
      newPassword: "password123",
    });
    expect(change.error?.flatten().fieldErrors.newPassword).toEqual([COMMON_PASSWORD_MESSAGE]);
  });
});
