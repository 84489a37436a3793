/**
 * Security headers and the client bundle, checked against the production build.
 *
 * - Pages carry a nonce-based Content-Security-Policy (a fresh nonce per response) and the usual
 *   hardening headers; API answers are `no-store` and may not be rendered or framed.
 * - The JavaScript shipped to browsers holds no private key material and none of the server-only
 *   modules (their names would show that server code was bundled for the client).
 */
import fs from "node:fs";
import path from "node:path";
import { expect, test } from "./fixtures";

test("pages send a per-response nonce CSP and hardening headers", async ({ api }) => {
  const first = await api.get("/login");
  const second = await api.get("/login");
  const csp = first.headers()["content-security-policy"] ?? "";
  expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/);
  expect(csp).toContain("object-src 'none'");
  expect(csp).toContain("base-uri 'none'");
  expect(csp).toContain("frame-ancestors 'none'");
  const nonce = (value: string) => /'nonce-([^']+)'/.exec(value)?.[1];
  expect(nonce(second.headers()["content-security-policy"] ?? "")).not.toBe(nonce(csp));
  // The nonce in the header is the one on the page's scripts.
  expect(await first.text()).toContain(`nonce="${nonce(csp)}"`);

  const headers = first.headers();
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["referrer-policy"]).toBe("same-origin");
  expect(headers["x-frame-options"]).toBe("DENY");
  expect(headers["strict-transport-security"]).toMatch(/max-age=\d{7,}/);
  expect(headers["x-powered-by"]).toBeUndefined();
});

test("every auth and API answer is no-store and cannot be rendered as a document", async ({
  api,
}) => {
  const answers = [
    await api.post("/api/auth/refresh"),
    await api.post("/api/auth/login", {
      data: { email: "nobody@example.test", password: "x" },
    }),
    await api.get("/api/me"),
    await api.get("/api/health"),
  ];
  for (const answer of answers) {
    expect(answer.headers()["cache-control"], answer.url()).toBe("no-store");
    expect(answer.headers()["content-security-policy"], answer.url()).toContain(
      "default-src 'none'",
    );
    expect(answer.headers()["content-type"], answer.url()).toContain("application/json");
  }
});

test("no HTML answer without the page CSP, even for requests labelled as prefetches", async ({
  api,
}) => {
  // Any client can send these headers on a full page load; a proxy matcher that skips them
  // would serve the page with no CSP (and skip the signed-out redirect).
  const prefetchLabels: Record<string, string>[] = [
    {},
    { "next-router-prefetch": "1" },
    { "next-router-prefetch": "1", rsc: "1" },
    { purpose: "prefetch" },
    { "sec-purpose": "prefetch" },
  ];
  // Pages, a page that does not exist, and paths that only start like an excluded one.
  const paths = [
    "/login",
    "/register",
    "/no-such-page",
    "/apidocs",
    "/favicon.ico",
    "/.well-known/nope",
    "/_next/nope",
  ];
  for (const headers of prefetchLabels) {
    for (const path of paths) {
      const answer = await api.get(path, { headers, maxRedirects: 0 });
      const label = `${path} ${JSON.stringify(headers)}`;
      const csp = answer.headers()["content-security-policy"] ?? "";
      if ((answer.headers()["content-type"] ?? "").includes("text/html")) {
        expect(csp, label).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/);
      } else {
        expect(csp, label).not.toBe("");
      }
    }
  }
});

test("a signed-out visitor is redirected to /login from a protected page, prefetch label or not", async ({
  api,
}) => {
  const labels: Record<string, string>[] = [
    {},
    { "next-router-prefetch": "1" },
    { purpose: "prefetch" },
  ];
  for (const headers of labels) {
    for (const path of ["/dashboard", "/sessions", "/inspector"]) {
      const answer = await api.get(path, { headers, maxRedirects: 0 });
      const label = `${path} ${JSON.stringify(headers)}`;
      expect(answer.status(), label).toBe(307);
      expect(answer.headers()["location"], label).toContain(
        `/login?next=${encodeURIComponent(path)}`,
      );
    }
  }
});

test("unknown /api paths answer 404 JSON in the API's error shape, for every method", async ({
  api,
}) => {
  for (const path of ["/api", "/api/nope", "/api/auth/nope", "/api/auth/sessions/x/y/z"]) {
    for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE"] as const) {
      const answer = await api.fetch(path, { method, maxRedirects: 0 });
      const label = `${method} ${path}`;
      expect(answer.status(), label).toBe(404);
      expect(answer.headers()["content-type"], label).toContain("application/json");
      expect(answer.headers()["content-security-policy"], label).toContain("default-src 'none'");
      expect((await answer.json()).error.code, label).toBe("not_found");
    }
  }
});

test("a page that loaded under the CSP still signs in (the nonce reaches Next's scripts)", async ({
  page,
  registeredUser,
}) => {
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  await page.goto("/login");
  await page.getByLabel("Email").fill(registeredUser.email);
  await page.getByLabel("Password").fill(registeredUser.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  expect(violations).toEqual([]);
});

test("the client bundle holds no private key and no server-only module", () => {
  const distDir = process.env.NEXT_DIST_DIR || ".next";
  const staticDir = path.join(distDir, "static");
  const files = fs
    .readdirSync(staticDir, { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".js"))
    .map((file) => path.join(staticDir, file));
  expect(files.length).toBeGreaterThan(5);
  const bundle = files.map((file) => fs.readFileSync(file, "utf8")).join("\n");

  // Every development signing key this checkout has generated (the e2e server's included).
  const privateKeys = fs
    .readdirSync(".data", { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith("signing-keys.json"))
    .flatMap((file) => JSON.parse(fs.readFileSync(path.join(".data", file), "utf8")).keys)
    .map((key: { d: string }) => key.d);
  expect(privateKeys.length).toBeGreaterThan(0);
  for (const d of privateKeys) expect(bundle).not.toContain(d);

  for (const serverOnly of [
    "signing-keys.json",
    "AUTH_SIGNING_KEYS",
    "argon2id",
    "rotateRefreshToken",
    "hashRefreshToken",
    "PrismaClient",
    "DATABASE_URL",
  ]) {
    expect(bundle, serverOnly).not.toContain(serverOnly);
  }
});
