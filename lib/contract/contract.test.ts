import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  ACCESS_TOKEN_ERROR_CODES,
  apiErrorBodySchema,
  ERROR_CODE,
  REFRESH_REJECTION_CODES,
  REVOKE_REASONS,
  SIGN_OUT_REASONS,
  sessionBodySchema,
} from "@/lib/contract";

const CONTRACT_DIR = new URL("./", import.meta.url);

describe("the wire contract", () => {
  it("spells each error code once, as snake_case", () => {
    const codes = Object.values(ERROR_CODE);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^[a-z]+(_[a-z]+)*$/);
  });

  it("builds its lists from the named codes", () => {
    const codes: readonly string[] = Object.values(ERROR_CODE);
    for (const code of [...ACCESS_TOKEN_ERROR_CODES, ...REFRESH_REJECTION_CODES]) {
      expect(codes).toContain(code);
    }
    for (const reason of REFRESH_REJECTION_CODES) expect(SIGN_OUT_REASONS).toContain(reason);
    expect(REVOKE_REASONS).toContain(ERROR_CODE.refreshTokenReused);
  });

  it("imports nothing but zod (and its own modules)", () => {
    for (const file of readdirSync(CONTRACT_DIR).filter((f) => !f.includes(".test."))) {
      const source = readFileSync(new URL(file, CONTRACT_DIR), "utf8");
      const imports = [...source.matchAll(/from "([^"]+)"/g)].map((m) => m[1]);
      for (const specifier of imports) expect(specifier, file).toMatch(/^(zod|\.\/[a-z-]+)$/);
    }
  });

  it("reads an error body, keeping the code when the rest is off-shape", () => {
    const body = { error: { code: ERROR_CODE.emailTaken, message: 42, fields: { a: "b" } } };
    expect(apiErrorBodySchema.parse(body)).toEqual({ error: { code: ERROR_CODE.emailTaken } });
    expect(apiErrorBodySchema.safeParse({ error: "nope" }).success).toBe(false);
  });

  it("accepts the session body and refuses a negative lifetime or an empty token", () => {
    const body = {
      user: { id: "u", email: "a@example.com", name: null, createdAt: "2026-01-01T00:00:00Z" },
      accessToken: "t",
      accessTokenExpiresAt: "2026-01-01T00:05:00Z",
      accessTokenExpiresIn: 300,
    };
    expect(sessionBodySchema.parse(body)).toEqual(body);
    expect(sessionBodySchema.safeParse({ ...body, accessTokenExpiresIn: -1 }).success).toBe(false);
    expect(sessionBodySchema.safeParse({ ...body, accessToken: "" }).success).toBe(false);
  });
});
