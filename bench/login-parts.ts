/**
 * Where a login's main-thread CPU goes, part by part, in this process on a fresh PGlite database:
 * the app's own functions a login calls (the throttle's statement with the account lookup, the
 * new session's statement with the refund, the access token's signature, the DPoP proof, the
 * body's validation, the device cookie, the event), each run N times (default 300) after a
 * warm-up, and a rotation beside them. Prints µs of the main thread (/proc, 10 ms ticks, so
 * keep N large) and of the whole process per call.
 *
 *   npx tsx --conditions=react-server bench/login-parts.ts
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createBenchKey, signBenchProof } from "./dpop";
import { readMainThreadCpuSeconds } from "./measure";

const N = Number(process.env.N ?? 300);
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "bench-login-parts-"));
const ORIGIN = "http://localhost:3000";
const { runOrThrow } = await import("../scripts/app-server");
const keys = runOrThrow("npm", ["run", "-s", "keys:generate"], {}).trim();
Object.assign(process.env, {
  NODE_ENV: "production",
  DATA_DIR: dataDir,
  APP_URL: ORIGIN,
  AUTH_SIGNING_KEYS: keys,
  LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
});
delete process.env.DATABASE_URL;
const { chooseDatabase, createAdapterFactory } = await import("../lib/db/adapter");
const { applyMigrations } = await import("../lib/db/migrate");
const { getEnv } = await import("../lib/env");
await applyMigrations(await createAdapterFactory(chooseDatabase(getEnv())));
const { registerUser } = await import("../lib/auth/accounts");
const { consumeLoginAttemptAndFindAccount } = await import("../lib/auth/throttle");
const { startSession, rotateRefreshToken } = await import("../lib/auth/sessions");
const { signAccessTokenForSession } = await import("../lib/auth/session-policy");
const { verifyDpopProof } = await import("../lib/auth/dpop");
const { loginSchema } = await import("../lib/validation/auth");
const { setDeviceCookie } = await import("../lib/auth/device-cookie");
const { NextResponse } = await import("next/server");
const { recordEvent } = await import("../lib/ops/events");

const email = "parts@example.test";
const password = "correct horse battery staple";
await registerUser({ email, password, name: undefined }, { userAgent: "x", ip: null });

async function time(name: string, fn: () => Promise<unknown>) {
  for (let i = 0; i < 30; i++) await fn();
  const main0 = readMainThreadCpuSeconds(process.pid);
  const all0 = process.cpuUsage();
  for (let i = 0; i < N; i++) await fn();
  const all = process.cpuUsage(all0);
  const main = readMainThreadCpuSeconds(process.pid) - main0;
  console.log(
    `${name.padEnd(44)} main ${((main / N) * 1e6).toFixed(0).padStart(6)} µs   all ${((all.user + all.system) / N).toFixed(0).padStart(6)} µs`,
  );
}
const client = { userAgent: "bench", ip: null, dpopJkt: "x".repeat(43) };
let account: { id: string } | null = null;
let refund: unknown;
await time("consumeLoginAttemptAndFindAccount", async () => {
  ({ account, refund } = (await consumeLoginAttemptAndFindAccount({
    email,
    ip: null,
    deviceId: null,
  })) as never);
  // give the point back so the limit never refuses
  await startSession(account!.id, client, undefined, refund as never);
});
let issued = await startSession(
  (await consumeLoginAttemptAndFindAccount({ email, ip: null, deviceId: null })).account!.id,
  client,
);
await time("startSession (with refund)", async () => {
  const r = await consumeLoginAttemptAndFindAccount({ email, ip: null, deviceId: null });
  issued = await startSession(r.account!.id, client, undefined, r.refund);
});
await time("signAccessTokenForSession", () =>
  signAccessTokenForSession({ userId: issued.user.id, session: issued.session }),
);
const key = createBenchKey();
const loginUrl = `${ORIGIN}/api/auth/login`;
const proof = signBenchProof(key, "POST", loginUrl);
await time("verifyDpopProof (login, cached key)", () =>
  verifyDpopProof(
    new Request(loginUrl, { method: "POST", headers: { dpop: proof, host: "localhost:3000" } }),
    {
      nonce: "ignored",
    },
  ),
);
await time("verifyDpopProof (login, new key each)", () => {
  const k = createBenchKey();
  return verifyDpopProof(
    new Request(loginUrl, {
      method: "POST",
      headers: { dpop: signBenchProof(k, "POST", loginUrl), host: "localhost:3000" },
    }),
    { nonce: "ignored" },
  );
});
await time("zod loginSchema + JSON body", async () => {
  const req = new Request(loginUrl, { method: "POST", body: JSON.stringify({ email, password }) });
  loginSchema.parse(await req.json());
});
await time("setDeviceCookie", () =>
  setDeviceCookie(NextResponse.json({}), new Request(loginUrl), email),
);
await time("recordEvent (log line + counter)", async () =>
  recordEvent({
    event: "sign_in",
    outcome: "success",
    userId: issued.user.id,
    sessionId: issued.session.id,
  }),
);
// a rotation chain (unbound session)
let token = (await startSession(issued.user.id, { userAgent: "b", ip: null })).refreshToken;
await time("rotateRefreshToken (unbound)", async () => {
  const out = await rotateRefreshToken(token, null);
  token = (out as { refreshToken: string }).refreshToken;
});
await fs.rm(dataDir, { recursive: true, force: true });
process.exit(0);
