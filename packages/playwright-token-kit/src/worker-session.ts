/**
 * A signed-in session per worker that stays valid although its refresh token rotates.
 *
 * The usual Playwright advice, "log in once, save `storageState`, load it in every test", breaks
 * on rotating refresh tokens: the first test to load the saved state spends its refresh token
 * (the page restores its session with a refresh), and the next test that loads the same file
 * presents a spent token, which is exactly what reuse detection exists to catch. The server
 * revokes the session, and every later test starts signed out.
 *
 * So each worker (Playwright's `parallelIndex`) owns one account, one session and one file, and
 * every test checks the session out and back in:
 *
 *   check out   present the saved refresh cookie from outside the browser. Accepted: the answer's
 *               cookie is a fresh, never-presented token; the test's browser gets that. Refused
 *               (a test logged out, revoked it, or the server is new): sign in again, or create
 *               the account again if it is gone too. Either way the test starts signed in.
 *   the test    rotates the token as often as it likes.
 *   check in    save the context's cookies, whose refresh token is the newest one, for the next
 *               test in this worker. Nothing else uses this file meanwhile: one worker, one test
 *               at a time.
 *
 * A check-in can also save another account's session (a test that signed in as someone else):
 * when the adapter can tell whom a refresh answer belongs to (`refresh.accountOf`), the check-out
 * compares it with the worker's account and signs in again when they differ.
 *
 * IMPORTANT: the files belong to one run against one server's data. Two runs at once sharing a
 * directory would present each other's spent tokens and trip reuse detection; give each run its
 * own `workerSessionDir`.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import type {
  APIRequestContext,
  APIResponse,
  Browser,
  BrowserContext,
  PlaywrightWorkerArgs,
} from "@playwright/test";
import type { Credentials, SessionState, TokenKitAdapter } from "./adapter.js";

export type StorageState = Awaited<ReturnType<BrowserContext["storageState"]>>;

/** What a worker's file holds. */
export interface SavedSession {
  user: Credentials;
  storageState: StorageState;
  /** How the last check-out got it: the saved session renewed, a new sign-in, a new account. */
  via?: "renewed" | "signed-in" | "registered";
  /**
   * What the adapter's API sign-in returned beside the cookies (`SessionState`: a device key,
   * say), planted in each test's browser through `sessionState.plant`. Absent for most apps.
   */
  state?: SessionState;
}

type Playwright = PlaywrightWorkerArgs["playwright"];

/** Fresh credentials from the adapter, or `<label>-<id>@example.test` with a long password. */
export function uniqueCredentials(
  adapter: TokenKitAdapter,
  label: string,
  name?: string,
): Credentials {
  if (adapter.accounts.credentials) return adapter.accounts.credentials(label);
  const id = randomUUID().slice(0, 13);
  return {
    email: `${label}-${id}@example.test`,
    password: `correct horse ${id}`,
    name: name ?? label,
  };
}

/** Fresh credentials for worker slot `parallelIndex`, unique across runs. */
export function workerCredentials(adapter: TokenKitAdapter, parallelIndex: number): Credentials {
  return uniqueCredentials(adapter, `worker${parallelIndex}`, `Worker ${parallelIndex}`);
}

/** The file of worker slot `parallelIndex` in `directory`. */
export function workerSessionFile(directory: string, parallelIndex: number): string {
  return path.join(directory, `worker-${parallelIndex}.json`);
}

/** Writes the file whole or not at all (a worker killed mid-write leaves the old one). */
export async function writeSavedSession(file: string, session: SavedSession): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.tmp`;
  await fs.writeFile(partial, JSON.stringify(session, null, 2));
  await fs.rename(partial, file);
}

/** The saved session, or `null` when there is none or it cannot be read (then: start over). */
async function readSavedSession(file: string): Promise<SavedSession | null> {
  try {
    const saved = JSON.parse(await fs.readFile(file, "utf8")) as Partial<SavedSession>;
    return saved.user && saved.storageState ? (saved as SavedSession) : null;
  } catch {
    return null;
  }
}

/**
 * Presents the refresh cookie in `api`'s jar (or `cookie`, when given) to the refresh endpoint,
 * as the app's own client does. On success the jar holds the rotated cookie.
 */
export async function refreshSession(
  adapter: TokenKitAdapter,
  api: APIRequestContext,
  options: { cookie?: string; headers?: Record<string, string>; state?: SessionState } = {},
): Promise<APIResponse> {
  const { send } = adapter.refresh;
  if (send && options.state !== undefined && !options.cookie && !options.headers) {
    return send(api, options.state);
  }
  const headers: Record<string, string> = { ...adapter.refresh.headers, ...options.headers };
  if (options.cookie !== undefined) headers.Cookie = `${adapter.refresh.cookie}=${options.cookie}`;
  return api.fetch(adapter.refresh.path, { method: adapter.refresh.method ?? "POST", headers });
}

/**
 * Signs `user` in the adapter's way and returns the session's storage state (and the API
 * sign-in's `SessionState`, if it returned one). An API sign-in runs in a fresh request context;
 * a UI sign-in in a fresh browser context.
 */
export async function signInStorageState(
  adapter: TokenKitAdapter,
  env: { playwright: Playwright; browser: Browser; baseURL: string },
  user: Credentials,
): Promise<{ storageState: StorageState; state?: SessionState }> {
  const { signIn } = adapter;
  if ("api" in signIn) {
    const api = await env.playwright.request.newContext({ baseURL: env.baseURL });
    try {
      const state = await signIn.api(api, user);
      return { storageState: await api.storageState(), ...(state !== undefined && { state }) };
    } finally {
      await api.dispose();
    }
  }
  const context = await env.browser.newContext({ baseURL: env.baseURL });
  try {
    await signIn.ui(await context.newPage(), user);
    return { storageState: await context.storageState() };
  } finally {
    await context.close();
  }
}

export class WorkerSessionStore {
  constructor(
    private readonly adapter: TokenKitAdapter,
    private readonly env: { playwright: Playwright; browser: Browser; baseURL: string },
    readonly file: string,
    private readonly parallelIndex: number,
  ) {}

  /**
   * The storage state for the next test: signed in as this worker's account, with a refresh
   * token nobody has presented yet.
   */
  async checkOut(): Promise<SavedSession> {
    const saved = await readSavedSession(this.file);
    const renewed =
      (saved && (await this.renew(saved))) ??
      (saved && (await this.signIn(saved.user))) ??
      (await this.register(workerCredentials(this.adapter, this.parallelIndex)));
    await writeSavedSession(this.file, renewed);
    return renewed;
  }

  /** Saves `context`'s cookies (the newest refresh token) for the next test of this worker. */
  async checkIn(context: BrowserContext): Promise<void> {
    const saved = await readSavedSession(this.file);
    if (!saved) return;
    await writeSavedSession(this.file, { ...saved, storageState: await context.storageState() });
  }

  private async renew(saved: SavedSession): Promise<SavedSession | null> {
    // A session whose refresh needs its state cannot be renewed without it: sign in again.
    if (this.adapter.refresh.send && saved.state === undefined) return null;
    const api = await this.env.playwright.request.newContext({
      baseURL: this.env.baseURL,
      storageState: saved.storageState,
    });
    try {
      const response = await refreshSession(this.adapter, api, { state: saved.state });
      if (!response.ok()) return null;
      // A test may have signed in as someone else in this context before its check-in: that
      // session is not the worker's, whatever the file says.
      const { accountOf } = this.adapter.refresh;
      if (accountOf && accountOf(await response.json().catch(() => null)) !== saved.user.email) {
        return null;
      }
      const storageState = await api.storageState();
      return { user: saved.user, storageState, via: "renewed", state: saved.state };
    } finally {
      await api.dispose();
    }
  }

  private async signIn(user: Credentials): Promise<SavedSession | null> {
    try {
      const signedIn = await signInStorageState(this.adapter, this.env, user);
      return { user, ...signedIn, via: "signed-in" };
    } catch {
      return null; // e.g. a file left over from a run against another server's data
    }
  }

  private async register(user: Credentials): Promise<SavedSession> {
    const api = await this.env.playwright.request.newContext({ baseURL: this.env.baseURL });
    try {
      await this.adapter.accounts.create(api, user);
    } finally {
      await api.dispose();
    }
    const signedIn = await signInStorageState(this.adapter, this.env, user);
    return { user, ...signedIn, via: "registered" };
  }
}
