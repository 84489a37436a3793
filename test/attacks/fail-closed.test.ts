/**
 * Attack suite: configuration that fails closed (issue 11, item 6). `next start` always runs
 * with NODE_ENV=production; without APP_URL such a server cannot know who reaches it, so it
 * refuses to start with the test clock, the inspector's scenarios, or a generated signing key,
 * and says what to set. The servers listen on loopback unless told otherwise, and behind a TLS
 * proxy the refresh cookie is Secure whenever APP_URL is https, trusted proxy or not.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { POST as login } from "@/app/api/auth/login/route";
import { POST as register } from "@/app/api/auth/register/route";
import { generateSigningJwk } from "@/lib/auth/keys";
import { forgetSigningKeys } from "@/lib/dev/process-state";
import { ConfigError, parseEnv } from "@/lib/env";
import { CrossSiteRequest, assertSameOriginRequest } from "@/lib/http/csrf";
import { TestClient, proofFor, setEnv, uniqueEmail, useTestDatabase } from "@/test/harness";

const PRODUCTION_WITHOUT_APP_URL = { NODE_ENV: "production" } as const;

describe("NODE_ENV=production without APP_URL", () => {
  it("refuses to sign with a generated key, and says what to set", () => {
    expect(() => parseEnv(PRODUCTION_WITHOUT_APP_URL)).toThrow(ConfigError);
    expect(() => parseEnv(PRODUCTION_WITHOUT_APP_URL)).toThrow(/APP_URL/);
    expect(() => parseEnv(PRODUCTION_WITHOUT_APP_URL)).toThrow(/AUTH_SIGNING_KEYS/);
    expect(() => parseEnv(PRODUCTION_WITHOUT_APP_URL)).toThrow(/npm run keys:generate/);
  });

  it.each(["AUTH_TEST_CLOCK", "AUTH_DEV_SCENARIOS"])(
    "refuses %s=1 even with signing keys and a loopback HOST",
    (flag) => {
      const source = { ...PRODUCTION_WITHOUT_APP_URL, AUTH_SIGNING_KEYS: "{}", HOST: "127.0.0.1" };
      expect(() => parseEnv({ ...source, [flag]: "1" })).toThrow(ConfigError);
      expect(() => parseEnv({ ...source, [flag]: "1" })).toThrow(
        new RegExp(`${flag}=1 .*NODE_ENV=production and APP_URL is not set`, "s"),
      );
      // Nothing development-only is on by default either.
      const env = parseEnv(source);
      expect(env.AUTH_TEST_CLOCK).toBe("0");
      expect(env.devScenariosEnabled).toBe(false);
    },
  );

  it("the start command itself exits with that message (npm start runs this before next start)", () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "jwt-failclosed-"));
    try {
      const env = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: "production",
        DATA_DIR: dataDir,
        AUTH_TEST_CLOCK: "1",
      } as NodeJS.ProcessEnv;
      const run = spawnSync(
        process.execPath,
        [
          path.resolve("node_modules/tsx/dist/cli.mjs"),
          "--conditions=react-server",
          "scripts/db.ts",
          "prestart",
        ],
        { env, encoding: "utf8", timeout: 120_000 },
      );
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/NODE_ENV=production without APP_URL/);
      expect(run.stderr).toMatch(/Set APP_URL/);
      // Refused before anything was written: no database, no generated key.
      expect(fs.readdirSync(dataDir)).toEqual([]);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("a local production run with APP_URL set still starts with a generated key", () => {
    const env = parseEnv({ NODE_ENV: "production", APP_URL: "http://localhost:3000" });
    expect(env.isLocal).toBe(true);
    expect(env.AUTH_SIGNING_KEYS).toBeUndefined();
  });
});

describe("the servers listen where they say they do", () => {
  it("npm start and npm run dev pass HOST (loopback by default) to next with -H", () => {
    const { scripts } = JSON.parse(fs.readFileSync("package.json", "utf8")) as {
      scripts: Record<string, string>;
    };
    // `next start` ignores HOSTNAME and would listen on every interface without -H.
    expect(scripts.start).toMatch(/next start -H \$\{HOST:-127\.0\.0\.1\}$/);
    expect(scripts.dev).toMatch(/next dev -H \$\{HOST:-127\.0\.0\.1\}$/);
    expect(parseEnv({}).HOST).toBe("127.0.0.1");
  });
});

describe("behind a TLS-terminating proxy, without TRUST_PROXY", () => {
  let restoreEnv: () => void = () => {};
  beforeAll(async () => {
    await useTestDatabase();
  });
  afterEach(() => {
    restoreEnv();
    restoreEnv = () => {};
    forgetSigningKeys();
  });

  it("the refresh cookie is Secure and __Secure- when APP_URL is https, though the hop is plain http", async () => {
    const keys = JSON.stringify({ keys: [await generateSigningJwk()] });
    const email = uniqueEmail("proxy");
    await new TestClient().call(register, "/api/auth/register", {
      json: { email, password: "correct horse battery" },
    });
    restoreEnv = setEnv({
      APP_URL: "https://auth.example.com",
      AUTH_SIGNING_KEYS: keys,
      TRUST_PROXY: "0",
    });
    forgetSigningKeys();
    // What the app sees from the proxy: plain http to an internal address, no trusted labels.
    const response = await login(
      new Request("http://10.0.0.5:3000/api/auth/login", {
        method: "POST",
        headers: {
          host: "10.0.0.5:3000",
          "content-type": "application/json",
          "x-forwarded-proto": "https",
          // The browser names the public URL it called; the app knows it from APP_URL.
          dpop: await proofFor(null, "POST", "https://auth.example.com/api/auth/login"),
        },
        body: JSON.stringify({ email, password: "correct horse battery" }),
      }),
      { params: Promise.resolve({}) },
    );
    expect(response.status).toBe(200);
    const cookies = response.headers.getSetCookie();
    const refreshCookie = cookies.find((line) => /refresh_token=/.test(line));
    expect(refreshCookie).toMatch(/^__Secure-refresh_token=/);
    expect(refreshCookie).toMatch(/;\s*Secure/i);
    for (const line of cookies) expect(line, line).toMatch(/;\s*Secure/i);
  });
});

describe("which Host counts as our origin", () => {
  let restoreEnv: () => void = () => {};
  afterEach(() => {
    restoreEnv();
    restoreEnv = () => {};
  });
  // What a DNS-rebinding page (or a plain client) sends: its own name as Host and as Origin.
  const rebound = () =>
    new Request("http://lan-box.example:3000/api/auth/login", {
      method: "POST",
      headers: { host: "lan-box.example:3000", origin: "http://lan-box.example:3000" },
    });

  it("in production without APP_URL, none: a request naming its own Host is cross-site", async () => {
    const keys = JSON.stringify({ keys: [await generateSigningJwk()] });
    restoreEnv = setEnv({ NODE_ENV: "production", APP_URL: undefined, AUTH_SIGNING_KEYS: keys });
    expect(() => assertSameOriginRequest(rebound())).toThrow(CrossSiteRequest);
  });

  it("in development without APP_URL, the Host the browser reached (a LAN address)", () => {
    restoreEnv = setEnv({ NODE_ENV: "development", APP_URL: undefined });
    expect(() => assertSameOriginRequest(rebound())).not.toThrow();
  });
});
