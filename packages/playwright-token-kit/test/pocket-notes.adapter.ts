/**
 * The adapter for examples/pocket-notes, the kit's second app: a UI sign-in, an HS256 token in
 * the JSON body, the refresh cookie `pn_rt` at /auth/token, and no test clock (tokens of a few seconds).
 */
import { expect } from "@playwright/test";
import { defineAdapter } from "playwright-token-kit";

export const pocketNotes = defineAdapter({
  name: "pocket-notes",
  accounts: {
    async create(api, user) {
      const response = await api.post("/auth/signup", {
        data: { username: user.email, password: user.password },
      });
      expect(response.status(), await response.text()).toBe(201);
    },
  },
  signIn: {
    async ui(page, user) {
      await page.goto("/");
      await page.getByLabel("Username").fill(user.email);
      await page.getByLabel("Password").fill(user.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect(page.getByTestId("whoami")).toHaveText(user.email);
    },
  },
  async signOut(api) {
    expect((await api.post("/auth/logout")).status()).toBe(204);
  },
  refresh: {
    path: "/auth/token",
    cookie: "pn_rt",
    accountOf: (body) => (body as { username?: string } | null)?.username ?? null,
  },
  accessToken: {
    response: { json: "access_token" },
    page: (page) =>
      page.evaluate(
        () =>
          (
            window as { pocketNotes?: { accessToken(): string | null } }
          ).pocketNotes?.accessToken() ?? null,
      ),
  },
  expiry: { shortTtl: { probe: { path: "/api/me" } } },
  signedInPage: {
    path: "/",
    async ready(page) {
      await expect(page.getByTestId("status")).toHaveText("Ready.");
    },
  },
});
