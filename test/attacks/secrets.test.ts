/**
 * Attack suite: secrets stay secret. Passwords, refresh tokens, access tokens
 * and the private signing key never appear in logs or error bodies, even when
 * a request fails in an unexpected way. (The built client bundle is checked by
 * e2e/security.spec.ts, after `next build`.)
 */
import fs from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { POST as login } from "@/app/api/auth/login/route";
import { POST as refresh } from "@/app/api/auth/refresh/route";
import { POST as register } from "@/app/api/auth/register/route";
import { getSigningKeys } from "@/lib/auth/keys";
import { captureOpsLogs } from "@/lib/dev/process-state";
import { getEnv } from "@/lib/env";
import { withErrorHandling } from "@/lib/http/respond";
import { TestClient, uniqueEmail, useTestDatabase } from "@/test/harness";

const PASSWORD = "hunter2-but-longer";
let logged: string[] = [];

beforeAll(async () => {
  await useTestDatabase();
});

function captureLogs() {
  logged = [];
  // The structured log (lib/ops/logger.ts) at its most talkative, and the console.
  captureOpsLogs({ write: (line) => logged.push(line) }, "trace");
  for (const level of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      logged.push(
        args.map((a) => (a instanceof Error ? `${a.message}\n${a.stack}` : String(a))).join(" "),
      );
    });
  }
}
afterEach(() => {
  vi.restoreAllMocks();
  captureOpsLogs(undefined);
});

describe("logs and error bodies", () => {
  it("a full sign-up, failed login, refresh and replay log no password, token or key", async () => {
    captureLogs();
    const email = uniqueEmail("secrets");
    const client = new TestClient();
    const registered = await client.call(register, "/api/auth/register", {
      json: { email, password: PASSWORD },
    });
    const firstRefresh = client.refreshToken!;
    await new TestClient().call(login, "/api/auth/login", {
      json: { email, password: `${PASSWORD}-wrong` },
    });
    await client.call(refresh, "/api/auth/refresh", { method: "POST" });
    const bodies = JSON.stringify(
      (
        await new TestClient().call(refresh, "/api/auth/refresh", {
          method: "POST",
          refreshToken: "A".repeat(43),
        })
      ).body,
    );
    // The loaded private key is not even extractable; read its `d` from the development key file.
    await getSigningKeys();
    const keyFile = await fs.readFile(path.join(getEnv().dataDir, "signing-keys.json"), "utf8");
    const privateD = JSON.parse(keyFile).keys[0].d as string;

    const everything = logged.join("\n") + bodies;
    for (const secret of [
      PASSWORD,
      firstRefresh,
      client.refreshToken!,
      registered.body.accessToken,
      privateD,
    ]) {
      expect(everything).not.toContain(secret);
    }
  });

  it("an unexpected error answers a bare 500 and logs only the error's class", async () => {
    captureLogs();
    const leaky = withErrorHandling(async () => {
      throw new Error(`database said: password=${PASSWORD}`);
    });
    vi.stubEnv("NODE_ENV", "production");
    const res = await leaky(new Request("http://localhost:3000/api/x"), {
      params: Promise.resolve({}),
    });
    vi.unstubAllEnvs();
    expect(res.status).toBe(500);
    const body = await res.json();
    expect(body).toEqual({
      error: { code: "internal_error", message: "Something went wrong on our side. Try again." },
    });
    expect(logged.join("\n")).toContain("failed: Error");
    expect(logged.join("\n")).not.toContain(PASSWORD);
  });
});
