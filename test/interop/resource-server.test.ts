/**
 * Another service verifies our tokens: examples/resource-server (plain Node,
 * jose's remote key set, none of the app's code) runs as its own process and
 * fetches our public keys over HTTP. It must accept a token the app issued and
 * refuse forged, tampered, expired, wrong-audience, wrong-issuer and
 * algorithm-confused ones, and everything the app itself refuses even when
 * signed with our key (no exp, a ten-year lifetime, an unknown crit, no sid or
 * jti). And no token an attacker invents may make a genuine one fail: a flood
 * of random `kid`s, on a cold start or later, or while our JWKS cannot answer
 * (issue 26).
 *
 * How the app is served. Tokens come from the real register route handler, and
 * the JWKS from the real `/.well-known/jwks.json` route handler, exposed on a
 * loopback port by a tiny `node:http` server that hands each request to the
 * exported GET and writes its Response back byte for byte. That is the honest
 * part for this test (the JWKS bytes and the tokens are exactly what the app
 * produces) without a `next build` per run; that Next serves those routes the
 * same way is covered by the e2e suite and the multi-instance test.
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { SignJWT, exportJWK, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as jwksRoute } from "@/app/.well-known/jwks.json/route";
import { POST as register } from "@/app/api/auth/register/route";
import { getSigningKeys } from "@/lib/auth/keys";
import { TestDeviceKey, boundJktOf } from "@/test/device-key";
import { APP_ORIGIN, TestClient, keyOfAccess, uniqueEmail, useTestDatabase } from "@/test/harness";

const EXAMPLE_DIR = path.resolve(__dirname, "../../examples/resource-server");

let jwksServer: http.Server;
let jwksRequests = 0;
/** While true, the JWKS answers 503 (the app down or unreachable). */
let jwksDown = false;
/** Public keys published after the app's own (a rotation's new key, stage 1). */
const publishedExtraKeys: Record<string, unknown>[] = [];
type Example = { process: ChildProcess; url: string; log: () => string };
const examples: Example[] = [];
let exampleUrl: string;
let accessToken: string;
let jwksUrl: string;
let claims: { sub: string; sid: string; iss: string; aud: string };

/** Serves the real JWKS route handler on a free loopback port. */
async function serveJwks(): Promise<string> {
  jwksServer = http.createServer(async (req, res) => {
    jwksRequests += 1;
    if (jwksDown) {
      res.writeHead(503).end();
      return;
    }
    const request = new Request(new URL(req.url ?? "/", APP_ORIGIN), { method: req.method });
    const response = await jwksRoute(request, { params: Promise.resolve({}) });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    const body = Buffer.from(await response.arrayBuffer());
    if (publishedExtraKeys.length === 0) return void res.end(body);
    const set = JSON.parse(body.toString("utf8")) as { keys: unknown[] };
    res.end(JSON.stringify({ keys: [...set.keys, ...publishedExtraKeys] }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
}

/** Starts the example as its own process (PORT=0) and reads the port it announces. */
async function startExample(
  jwksUrl: string,
  extraEnv: Record<string, string> = {},
): Promise<Example> {
  const child = spawn(process.execPath, ["server.mjs"], {
    cwd: EXAMPLE_DIR,
    // Only what the example reads: nothing of the app's configuration leaks into it.
    env: {
      NODE_ENV: "production",
      PATH: process.env.PATH,
      JWKS_URL: jwksUrl,
      TOKEN_ISSUER: APP_ORIGIN,
      TOKEN_AUDIENCE: APP_ORIGIN,
      PORT: "0",
      ...extraEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stderr!.on("data", (chunk: Buffer) => (log += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.on("exit", (code) => reject(new Error(`example exited (${code}):\n${log}`)));
    child.stdout!.on("data", (chunk: Buffer) => {
      log += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(log);
      if (match) resolve(match[1]!);
    });
  });
  const example = { process: child, url, log: () => log };
  examples.push(example);
  return example;
}

/**
 * GET /api/hello on the example with `token`: a bound token (`cnf.jkt`) as the browser sends it,
 * `Authorization: DPoP` with a fresh proof by the key of the device it was issued to, unless
 * `as` says otherwise (`headers` replaces the proof and scheme entirely).
 */
async function callExample(
  token?: string,
  url = exampleUrl,
  as: { headers?: Record<string, string> } = {},
) {
  let headers: Record<string, string> = {};
  if (as.headers) headers = as.headers;
  else if (token !== undefined && boundJktOf(token) && keyOfAccess(token)) {
    // (A forged or tampered copy of a bound token has no key: it goes as Bearer, below.)
    const key = (await keyOfAccess(token))!;
    headers = {
      authorization: `DPoP ${token}`,
      dpop: await key.accessProof("GET", `${url}/api/hello`, token),
    };
  } else if (token !== undefined) headers = { authorization: `Bearer ${token}` };
  const response = await fetch(`${url}/api/hello`, { headers });
  return { status: response.status, body: (await response.json()) as any };
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const now = () => Math.floor(Date.now() / 1000);

/** A token signed with the app's own private key, with any claims: proves which check refuses. */
async function signWithOurKey(overrides: Record<string, unknown>, header: object = {}) {
  const { signer } = await getSigningKeys();
  return new SignJWT({ sid: claims.sid, ...overrides })
    .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: "at+jwt", ...header })
    .setIssuer(String(overrides.iss ?? APP_ORIGIN))
    .setAudience(String(overrides.aud ?? APP_ORIGIN))
    .setSubject(claims.sub)
    .setIssuedAt(Number(overrides.iat ?? now()))
    .setExpirationTime(Number(overrides.exp ?? now() + 300))
    .setJti(crypto.randomUUID())
    .sign(signer.key);
}

beforeAll(async () => {
  await useTestDatabase();
  const res = await new TestClient().call(register, "/api/auth/register", {
    json: { email: uniqueEmail("interop"), password: "correct horse battery" },
  });
  expect(res.status).toBe(201);
  accessToken = res.body.accessToken;
  claims = JSON.parse(Buffer.from(accessToken.split(".")[1]!, "base64url").toString());
  jwksUrl = await serveJwks();
  exampleUrl = (await startExample(jwksUrl)).url;
});

afterAll(async () => {
  for (const example of examples) example.process.kill();
  await new Promise((resolve) => jwksServer?.close(resolve));
});

describe("examples/resource-server (jose's remote key set) with our JWKS", () => {
  it("pins the same jose version as the app, and nothing else", () => {
    const read = (file: string) => JSON.parse(fs.readFileSync(file, "utf8"));
    const own = read(path.join(EXAMPLE_DIR, "package.json")).dependencies;
    const root = read(path.resolve(EXAMPLE_DIR, "../../package.json")).dependencies;
    expect(Object.keys(own)).toEqual(["jose"]);
    expect(own.jose).toMatch(/^\d+\.\d+\.\d+$/);
    expect(own.jose).toBe(root.jose);
  });

  it("accepts an access token the app issued, fetching our public key by kid", async () => {
    const res = await callExample(accessToken);
    expect(res).toEqual({
      status: 200,
      body: { hello: claims.sub, session: claims.sid, expiresAt: expect.any(Number) },
    });
    expect(jwksRequests).toBeGreaterThan(0);
  });

  it("refuses a missing token", async () => {
    expect(await callExample()).toMatchObject({
      status: 401,
      body: { error: { code: "token_missing" } },
    });
  });

  const refused = async (token: string, code = "token_invalid") =>
    expect(await callExample(token)).toEqual({
      status: 401,
      body: { error: { code, message: expect.any(String) } },
    });

  it("refuses a forged token: another key under our kid", async () => {
    const { signer } = await getSigningKeys();
    const attacker = await generateKeyPair(signer.alg);
    const forged = await new SignJWT({ sid: claims.sid })
      .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: "at+jwt" })
      .setIssuer(APP_ORIGIN)
      .setAudience(APP_ORIGIN)
      .setSubject(claims.sub)
      .setIssuedAt(now())
      .setExpirationTime(now() + 300)
      .sign(attacker.privateKey);
    await refused(forged);
  });

  it("refuses a tampered payload under our signature", async () => {
    const [header, , signature] = accessToken.split(".");
    await refused(`${header}.${b64url({ ...claims, sub: crypto.randomUUID() })}.${signature}`);
  });

  it("refuses an expired token signed with our key", async () => {
    await refused(await signWithOurKey({ iat: now() - 600, exp: now() - 300 }), "token_expired");
  });

  it("refuses a wrong audience and a wrong issuer, each alone, signed with our key", async () => {
    await refused(await signWithOurKey({ aud: "https://another-app.example" }));
    await refused(await signWithOurKey({ iss: "https://another-issuer.example" }));
    // Control: the same helper with the right claims passes, so the claim is what failed.
    expect((await callExample(await signWithOurKey({}))).status).toBe(200);
  });

  it("refuses a token that is not an access token (typ), signed with our key", async () => {
    await refused(await signWithOurKey({}, { typ: "JWT" }));
  });

  it("refuses alg none and HS256 keyed with our public key (algorithm confusion)", async () => {
    const { signer, publicJwks } = await getSigningKeys();
    const payload = { ...claims, iat: now(), exp: now() + 300 };
    await refused(`${b64url({ alg: "none", kid: signer.kid, typ: "at+jwt" })}.${b64url(payload)}.`);
    const { createHmac } = await import("node:crypto");
    const input = `${b64url({ alg: "HS256", kid: signer.kid, typ: "at+jwt" })}.${b64url(payload)}`;
    for (const secret of [JSON.stringify(publicJwks.keys[0]), String(publicJwks.keys[0]!.x)]) {
      await refused(`${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`);
    }
  });
});

/** Claims and header exactly as given (no defaults), signed with the app's own private key. */
async function signExactly(
  payload: Record<string, unknown>,
  header: Record<string, unknown> = {},
  crit?: Record<string, boolean>,
) {
  const { signer } = await getSigningKeys();
  return new SignJWT(payload)
    .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: "at+jwt", ...header })
    .sign(signer.key, crit ? { crit } : undefined);
}

describe("the app's claim rules, on tokens signed with the app's own key (issue 26)", () => {
  const full = () => ({
    iss: APP_ORIGIN,
    aud: APP_ORIGIN,
    sub: claims.sub,
    sid: claims.sid,
    jti: crypto.randomUUID(),
    iat: now(),
    exp: now() + 300,
  });
  const refused = async (token: string) =>
    expect(await callExample(token)).toMatchObject({
      status: 401,
      body: { error: { code: "token_invalid" } },
    });

  it("control: every claim present, a 300 s lifetime, passes", async () => {
    expect((await callExample(await signExactly(full()))).status).toBe(200);
  });

  it("refuses a token without exp", async () => {
    const { exp: _exp, ...withoutExp } = full();
    await refused(await signExactly(withoutExp));
  });

  it("refuses a token whose exp is ten years ahead (longer than the app's lifetime)", async () => {
    await refused(await signExactly({ ...full(), exp: now() + 10 * 365 * 24 * 60 * 60 }));
    await refused(await signExactly({ ...full(), exp: now() + 301 }));
  });

  it("refuses a token carrying a crit header it does not understand", async () => {
    await refused(
      await signExactly(
        full(),
        { crit: ["urn:example:must-check"], "urn:example:must-check": true },
        { "urn:example:must-check": true },
      ),
    );
  });

  it("refuses a token that names no kid, though our one key would verify it", async () => {
    const { signer } = await getSigningKeys();
    const token = await new SignJWT(full())
      .setProtectedHeader({ alg: signer.alg, typ: "at+jwt" })
      .sign(signer.key);
    await refused(token);
  });

  it("refuses a token without sid, or without jti, or without iat", async () => {
    for (const claim of ["sid", "jti", "iat"] as const) {
      const payload: Record<string, unknown> = full();
      delete payload[claim];
      await refused(await signExactly(payload));
    }
  });
});

describe("no token an attacker invents makes a genuine one fail (issue 26)", () => {
  /** A well-formed token under a random kid, signed with the attacker's own key. */
  async function randomKidToken() {
    const { signer } = await getSigningKeys();
    const attacker = await generateKeyPair(signer.alg);
    return new SignJWT({ sid: claims.sid, jti: crypto.randomUUID() })
      .setProtectedHeader({ alg: signer.alg, kid: crypto.randomUUID(), typ: "at+jwt" })
      .setIssuer(APP_ORIGIN)
      .setAudience(APP_ORIGIN)
      .setSubject(claims.sub)
      .setIssuedAt(now())
      .setExpirationTime(now() + 300)
      .sign(attacker.privateKey);
  }

  /** Forged requests first, genuine ones behind them, all released together. */
  async function flood(url: string, forgedCount: number, genuineCount: number) {
    const forged = await Promise.all(Array.from({ length: forgedCount }, randomKidToken));
    const results = await Promise.all([
      ...forged.map((token) => callExample(token, url)),
      ...Array.from({ length: genuineCount }, () => callExample(accessToken, url)),
    ]);
    return {
      forged: results.slice(0, forgedCount).map((r) => r.status),
      genuine: results.slice(forgedCount).map((r) => r.status),
    };
  }

  it("on a cold start: 40 random kids with 10 genuine tokens; every genuine one passes, JWKS fetched at most twice", async () => {
    const fresh = await startExample(jwksUrl, { JWKS_COOLDOWN_SECONDS: "600" });
    const before = jwksRequests;
    const first = await flood(fresh.url, 40, 10);
    expect(first.genuine).toEqual(Array(10).fill(200));
    expect(first.forged).toEqual(Array(40).fill(401));
    // The start-up load, and at most one refetch for all the unknown kids.
    expect(jwksRequests - before).toBeLessThanOrEqual(2);

    // A second wave inside the cooldown fetches nothing at all.
    const afterFirst = jwksRequests;
    const second = await flood(fresh.url, 40, 10);
    expect(second.genuine).toEqual(Array(10).fill(200));
    expect(second.forged).toEqual(Array(40).fill(401));
    expect(jwksRequests - afterFirst).toBe(0);
  });

  it("while our JWKS cannot answer and the example's refreshes fail, known keys still verify", async () => {
    const example = await startExample(jwksUrl, {
      JWKS_REFRESH_SECONDS: "0.2",
      JWKS_COOLDOWN_SECONDS: "600",
    });
    expect((await callExample(accessToken, example.url)).status).toBe(200);
    jwksDown = true;
    try {
      // Wait for the condition (a refresh that failed), not for a time.
      await expect
        .poll(() => example.log(), { timeout: 10_000, interval: 50 })
        .toMatch(/JWKS refresh failed, keeping the cached keys/);
      const during = await flood(example.url, 20, 10);
      expect(during.genuine).toEqual(Array(10).fill(200));
      expect(during.forged).toEqual(Array(20).fill(401));
    } finally {
      jwksDown = false;
      // Its refreshes every 0.2 s would count in the JWKS fetches of the tests after it.
      example.process.kill();
      await new Promise((resolve) => example.process.once("exit", resolve));
    }
  });

  it("after a key rotation: tokens under the newly published key pass through the one refetch, amid random kids", async () => {
    const example = await startExample(jwksUrl, { JWKS_COOLDOWN_SECONDS: "600" });
    expect((await callExample(accessToken, example.url)).status).toBe(200);
    // Stage 1 of a rotation: a new key is published; the example's cached set does not hold it.
    const { signer } = await getSigningKeys();
    const next = await generateKeyPair(signer.alg, { extractable: true });
    const kid = `rotated-${crypto.randomUUID()}`;
    publishedExtraKeys.push({
      ...(await exportJWK(next.publicKey)),
      kid,
      alg: signer.alg,
      use: "sig",
    });
    try {
      const rotatedToken = () =>
        new SignJWT({ sid: claims.sid, jti: crypto.randomUUID() })
          .setProtectedHeader({ alg: signer.alg, kid, typ: "at+jwt" })
          .setIssuer(APP_ORIGIN)
          .setAudience(APP_ORIGIN)
          .setSubject(claims.sub)
          .setIssuedAt(now())
          .setExpirationTime(now() + 300)
          .sign(next.privateKey);
      const forged = await Promise.all(Array.from({ length: 30 }, randomKidToken));
      const rotated = await Promise.all(Array.from({ length: 5 }, rotatedToken));
      const before = jwksRequests;
      const results = await Promise.all([
        ...forged.map((token) => callExample(token, example.url)),
        ...rotated.map((token) => callExample(token, example.url)),
        ...Array.from({ length: 5 }, () => callExample(accessToken, example.url)),
      ]);
      const statuses = results.map((r) => r.status);
      expect(statuses.slice(0, 30)).toEqual(Array(30).fill(401));
      expect(statuses.slice(30)).toEqual(Array(10).fill(200));
      expect(jwksRequests - before).toBe(1);
    } finally {
      publishedExtraKeys.length = 0;
    }
  });
});

describe("a bound access token (cnf.jkt) copied to another device", () => {
  const hello = () => `${exampleUrl}/api/hello`;
  const refused = async (headers: Record<string, string>, code: string) => {
    const res = await callExample(accessToken, exampleUrl, { headers });
    expect(res).toEqual({ status: 401, body: { error: { code, message: expect.any(String) } } });
  };

  it("is bound: the app's token carries the registration key's thumbprint", async () => {
    expect(boundJktOf(accessToken)).toBe(await (await keyOfAccess(accessToken))!.thumbprint());
    expect((await callExample(accessToken)).status).toBe(200);
  });

  it("sent as Bearer, as a thief without the key would: 401 dpop_proof_required", async () => {
    await refused({ authorization: `Bearer ${accessToken}` }, "dpop_proof_required");
  });

  it("as DPoP without a proof, or with one from the thief's own key: refused", async () => {
    await refused({ authorization: `DPoP ${accessToken}` }, "dpop_proof_required");
    const thief = await TestDeviceKey.create();
    await refused(
      {
        authorization: `DPoP ${accessToken}`,
        dpop: await thief.accessProof("GET", hello(), accessToken),
      },
      "invalid_dpop_proof",
    );
  });

  it("with the owner's key but a proof for another request, token or time: refused", async () => {
    const key = (await keyOfAccess(accessToken))!;
    const stale = Math.floor(Date.now() / 1000) - 120;
    for (const dpop of [
      await key.accessProof("GET", `${APP_ORIGIN}/api/hello`, accessToken), // the app's htu
      await key.accessProof("POST", hello(), accessToken),
      await key.accessProof("GET", hello(), `${accessToken}x`), // wrong ath
      await key.accessProof("GET", hello(), accessToken, { ath: undefined }),
      await key.accessProof("GET", hello(), accessToken, { iat: stale }),
    ]) {
      await refused({ authorization: `DPoP ${accessToken}`, dpop }, "invalid_dpop_proof");
    }
  });

  it("one captured proof sent 8 times at once: one answer, the rest dpop_proof_replayed", async () => {
    const key = (await keyOfAccess(accessToken))!;
    const headers = {
      authorization: `DPoP ${accessToken}`,
      dpop: await key.accessProof("GET", hello(), accessToken),
    };
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => callExample(accessToken, exampleUrl, { headers })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, ...Array<number>(7).fill(401)]);
    expect(answers.filter((a) => a.status === 401).map((a) => a.body.error.code)).toEqual(
      Array<string>(7).fill("dpop_proof_replayed"),
    );
  });
});
