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
 *   check out   POST /refresh with the saved cookie from outside the browser. 200: the answer's
 *               cookie is a fresh, never-presented token; the test's browser gets that. Refused
 *               (a test logged out, revoked it, or the database is new): sign in again, or
 *               register again if the account is gone too. Either way the test starts signed in.
 *   the test    rotates the token as often as it likes.
 *   check in    save the context's cookies, whose refresh token is the newest one, for the next
 *               test in this worker. Nothing else uses this file meanwhile: one worker, one test
 *               at a time.
 *
 * A check-in can also save another account's session (a test that signed in as someone else):
 * the check-out compares the account the refresh answer names with the worker's, and signs in
 * again when they differ.
 *
 * A check-in can still save a token that is one generation old (the context closed while a
 * refresh answer was in flight). The next check-out then lands in the server's grace window, or
 * is refused and signs in again: slower, never wrong.
 *
 * The setup project (e2e/auth.setup.ts) writes these files before the tests start, signing in
 * through the real login page; without it the first check-out of each worker creates them.
 *
 * IMPORTANT: the files belong to one run against one database. Two runs at once sharing a
 * directory would present each other's spent tokens and trip reuse detection; give each run its
 * own `workerSessionDir` (this project: beside the run's fresh database).
 */
import fs from "node:fs/promises";
import path from "node:path";
import type { APIRequestContext, BrowserContext, PlaywrightWorkerArgs } from "@playwright/test";
import {
  type Credentials,
  type DeviceKey,
  createDeviceKey,
  refreshSession,
  registerAccount,
  signInAccount,
  signedInEmail,
  uniqueCredentials,
} from "./app";

export type StorageState = Awaited<ReturnType<BrowserContext["storageState"]>>;

/** What a worker's file holds. */
export interface SavedSession {
  user: Credentials;
  storageState: StorageState;
  /** How the last check-out got it: the saved session renewed, a new sign-in, a new account. */
  via?: "renewed" | "signed-in" | "registered";
  /**
   * The session's key (app.ts `DeviceKey`): sessions are bound to a key the browser holds, so
   * the kit keeps it beside the cookie, signs its own refreshes with it, and plants it in the
   * test's browser context (`plantDeviceKey`). Absent: a file from a sign-in in a browser, whose
   * key never left it; the check-out then signs in again.
   */
  device?: DeviceKey;
}

type Playwright = PlaywrightWorkerArgs["playwright"];

/**
 * Fresh credentials for worker slot `parallelIndex`, unique across runs.
 *
 * @example
 * workerCredentials(1); // { email: "worker1-3f2a9c1e-0b1d@example.test", password: "…", name: "Worker 1" }
 */
export function workerCredentials(parallelIndex: number): Credentials {
  return uniqueCredentials(`worker${parallelIndex}`, `Worker ${parallelIndex}`);
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

export class WorkerSessionStore {
  constructor(
    private readonly playwright: Playwright,
    private readonly baseURL: string,
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
      (await this.register(workerCredentials(this.parallelIndex)));
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
    const { device } = saved;
    if (!device) return null;
    return this.withApi(saved.storageState, async (api) => {
      const response = await refreshSession(api, { device });
      // A test may have signed in as someone else in this context before its check-in: that
      // session is not the worker's, whatever the file says.
      if (!response.ok() || (await signedInEmail(response)) !== saved.user.email) return null;
      return { user: saved.user, storageState: await api.storageState(), via: "renewed", device };
    });
  }

  private async signIn(user: Credentials): Promise<SavedSession | null> {
    return this.withApi(undefined, async (api) => {
      const device = createDeviceKey();
      try {
        await signInAccount(api, user, undefined, device);
      } catch {
        return null; // e.g. a file left over from a run against another database
      }
      return { user, storageState: await api.storageState(), via: "signed-in", device };
    });
  }

  private async register(user: Credentials): Promise<SavedSession> {
    return this.withApi(undefined, async (api) => {
      const device = createDeviceKey();
      await registerAccount(api, user, undefined, device);
      return { user, storageState: await api.storageState(), via: "registered", device };
    });
  }

  private async withApi<T>(
    storageState: StorageState | undefined,
    work: (api: APIRequestContext) => Promise<T>,
  ): Promise<T> {
    const api = await this.playwright.request.newContext({ baseURL: this.baseURL, storageState });
    try {
      return await work(api);
    } finally {
      await api.dispose();
    }
  }
}
