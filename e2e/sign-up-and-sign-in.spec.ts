/**
 * Getting in: registration, login, and what a signed-out visitor sees.
 *
 * Proves that a new account lands on a dashboard filled with protected data (so the access token
 * from registration works), that a signed-out visit to a protected page goes to the login page
 * and comes back after login, and that the forms show the server's own error messages (the forms
 * use `noValidate`: every message here was decided by the server's zod schema, which the register
 * form also runs before sending, or by its auth module).
 *
 * The last two tests pin down bugs found while writing this suite, both fixed: the landing page's
 * prefetched redirect, and a refusal that deleted the cookies of a login that finished first.
 */
import { DashboardPage } from "./pages/dashboard-page";
import { LoginPage } from "./pages/login-page";
import { RegisterPage } from "./pages/register-page";
import { SESSION_HINT_COOKIE_NAME, expect, test } from "./fixtures";

test("a new account lands on the dashboard with its three welcome notes", async ({
  page,
  newUser,
}) => {
  const register = new RegisterPage(page);
  await register.goto();
  await register.register(newUser);

  await expect(page).toHaveURL("/dashboard");
  const dashboard = new DashboardPage(page);
  await expect(dashboard.header.signedInAs).toContainText(newUser.email);
  // Newest first; each one was fetched with the access token from registration.
  await expect(dashboard.notes).toHaveText([
    /Open the Sessions page/,
    /Your access token lives in memory only/,
    /This note came from GET \/api\/notes/,
  ]);
});

test("a signed-out visit to /dashboard goes to login, and login comes back to it", async ({
  page,
  registeredUser,
}) => {
  await page.goto("/dashboard");

  await expect(page).toHaveURL("/login?next=%2Fdashboard");
  const login = new LoginPage(page);
  // Nobody was signed out; this visitor was never signed in.
  await expect(login.signOutReason).toBeHidden();

  await login.login(registeredUser);

  await expect(page).toHaveURL("/dashboard");
  const dashboard = new DashboardPage(page);
  await expect(dashboard.header.signedInAs).toContainText(registeredUser.email);
  await expect(dashboard.notes).toHaveCount(3);
});

test("the register form shows field errors from the server's own schema, before sending", async ({
  page,
  authNetwork,
}) => {
  const register = new RegisterPage(page);
  await register.goto();

  await register.register({ email: "not-an-email", password: "short" });

  await expect(register.email).toHaveAccessibleDescription("Enter a valid email address.");
  await expect(register.email).toHaveAttribute("aria-invalid", "true");
  await expect(register.password).toHaveAccessibleDescription(
    "Password must be at least 8 characters.",
  );
  await expect(register.password).toHaveAttribute("aria-invalid", "true");
  await expect(page).toHaveURL("/register");
  // Focus goes to the first field in error, so a keyboard or screen-reader user lands on it.
  await expect(register.email).toBeFocused();
  // The form shares lib/validation/auth.ts with the route, so nothing was sent.
  expect(await authNetwork.log()).toEqual([]);
});

test("registering an email that is taken says so, and a wrong password does not sign in", async ({
  page,
  registeredUser,
}) => {
  const register = new RegisterPage(page);
  await register.goto();
  await register.register({ email: registeredUser.email, password: "another long password" });
  await expect(register.alert("An account with this email already exists.")).toBeVisible();
  await expect(page).toHaveURL("/register");
  // The message offers the way forward, and takes it without losing `next`.
  await expect(page.getByTestId("form-error")).toBeFocused();
  await page.getByRole("link", { name: "Sign in instead" }).click();
  await expect(page).toHaveURL("/login");

  const login = new LoginPage(page);
  await login.goto();
  await login.login({ email: registeredUser.email, password: "not the password" });
  await expect(login.alert("The email or password is incorrect.")).toBeVisible();
  await expect(page).toHaveURL("/login");
});

test("a visitor who signs up from the landing page lands on the dashboard", async ({
  page,
  newUser,
}) => {
  // Linger like a reader, long enough for the router to prefetch the page's /dashboard link.
  // Regression: proxy.ts used to answer that signed-out prefetch with a redirect to /login, and
  // after sign-up the router replayed the cached redirect instead of showing the dashboard.
  // (Listen before loading: on a fast run the prefetch is answered before `goto` returns.)
  const prefetched = page.waitForResponse((r) => new URL(r.url()).pathname === "/dashboard");
  await page.goto("/");
  await prefetched;
  await page.getByRole("link", { name: "Create an account" }).click();
  await new RegisterPage(page).register(newUser);

  await expect(page).toHaveURL("/dashboard");
  await expect(new DashboardPage(page).notes).toHaveCount(3);
});

test("a login that lands before the page's first session check answers keeps its session", async ({
  page,
  context,
  baseURL,
  registeredUser,
}) => {
  // A slow network: the answer to the page's first refresh call (sent before any login, so it
  // is 401 refresh_token_missing) is held back until the login has finished.
  let releaseHeldAnswer!: () => void;
  const loginFinished = new Promise<void>((resolve) => (releaseHeldAnswer = resolve));
  await page.route(
    "/api/auth/refresh",
    async (route) => {
      const response = await route.fetch();
      await loginFinished;
      await route.fulfill({ response });
    },
    { times: 1 },
  );
  // A stale session hint (no refresh cookie behind it) makes the page ask at all: without a
  // hint the page knows there is nothing to restore and sends no refresh call.
  await context.addCookies([{ name: SESSION_HINT_COOKIE_NAME, value: "1", url: baseURL! }]);
  const heldAnswer = page.waitForResponse((r) => r.url().endsWith("/api/auth/refresh"));
  const loginAnswer = page.waitForResponse((r) => r.url().endsWith("/api/auth/login"));
  const login = new LoginPage(page);
  await login.goto();
  await login.login(registeredUser);
  expect((await loginAnswer).status()).toBe(200);

  releaseHeldAnswer();
  expect((await heldAnswer).status()).toBe(401);

  await expect(page).toHaveURL("/dashboard");
  const dashboard = new DashboardPage(page);
  await expect(dashboard.notes).toHaveCount(3);
  await page.reload();
  await expect(dashboard.header.signedInAs).toContainText(registeredUser.email);
});
