/**
 * Device cookies in a real browser (issue 26; lib/auth/device-cookie.ts): a browser that has
 * signed in to an account before keeps signing in while guesses from elsewhere hold the
 * account's lock; a browser that never has waits.
 */
import { DashboardPage } from "./pages/dashboard-page";
import { LoginPage } from "./pages/login-page";
import { RegisterPage } from "./pages/register-page";
import { REFRESH_COOKIE_NAME, createDeviceKey, expect, proofHeader, test } from "./fixtures";

test("the owner's browser signs in through the account's lock; a fresh client gets 429", async ({
  page,
  context,
  newUser,
  playwright,
  baseURL,
}) => {
  test.slow(); // 20+ password hashes on a loaded machine
  const register = new RegisterPage(page);
  await register.goto();
  await register.register(newUser);
  await expect(page).toHaveURL("/dashboard");

  // The browser holds this account's device cookie: httpOnly, Strict, for the login route only.
  const device = (await context.cookies()).find((c) => /^(__Secure-)?device_/.test(c.name));
  expect(device).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/api/auth/login" });

  // Someone else uses up the account's limit (no address is known to this server, so every
  // client without the cookie shares the per-account counter).
  // Each guess signs a DPoP proof with a key of its own (anyone can make one; a login without a
  // proof is refused before the throttle, lib/auth/dpop.ts).
  const attacker = await playwright.request.newContext({ baseURL });
  const attackerKey = createDeviceKey();
  let last = 0;
  for (let i = 0; i < 21; i++) {
    const res = await attacker.post("/api/auth/login", {
      data: { email: newUser.email, password: `wrong guess ${i}` },
      headers: await proofHeader(attacker, attackerKey, "/api/auth/login"),
    });
    last = res.status();
  }
  expect(last).toBe(429);
  const fresh = await attacker.post("/api/auth/login", {
    data: { email: newUser.email, password: newUser.password },
    headers: await proofHeader(attacker, attackerKey, "/api/auth/login"),
  });
  expect(fresh.status()).toBe(429);
  await attacker.dispose();

  // The owner's browser, signed out (no refresh cookie), signs in with the password.
  await context.clearCookies({ name: REFRESH_COOKIE_NAME });
  const login = new LoginPage(page);
  await login.goto();
  await login.login(newUser);
  await expect(page).toHaveURL("/dashboard");
  await expect(new DashboardPage(page).header.signedInAs).toContainText(newUser.email);
});
