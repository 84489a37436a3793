/**
 * The fault suite's load: virtual users that behave like the browser wrapper
 * (lib/client/auth-client.ts). Each registers, then loops: refresh with the cookie it holds,
 * call /api/me with the new access token. A request that fails without an answer (connection
 * refused or reset, the client's own timeout) or with a 5xx is retried with the cookie it still
 * holds, after a short backoff, on the next instance behind the imaginary load balancer. A 401
 * from the refresh route ends the user: that is a "user lost".
 *
 * Bounded: loopback only, a fixed number of users, and each run stops when told to (the
 * suite's phases are bounded by conditions and by the test timeout).
 */
import crypto from "node:crypto";
import { DeviceKeys } from "../device-key";

const REFRESH_COOKIE = "__Secure-refresh_token";
export const PASSWORD = "correct horse battery staple";
/** Like a browser giving up on a hung request: the answer, if any, is lost. */
export const CLIENT_TIMEOUT_MS = 5_000;
const BACKOFF_MS = [200, 400, 800, 1_000];

export type ErrorKind = string;

export type VirtualUser = {
  index: number;
  email: string;
  userId: string | null;
  sessionId: string | null;
  refreshToken: string | null;
  accessToken: string | null;
  /** Set when the server refused the refresh cookie: the user was signed out. */
  lostWith: string | null;
  /** SHA-256 of every refresh token the server acknowledged to this user (a 200 we received). */
  acknowledgedTokenHashes: string[];
};

export type LoadStats = {
  requests: number;
  errors: Map<ErrorKind, number>;
  /** Refresh 200s (rotations or grace re-issues) the clients received. */
  refreshes: number;
  /** Wall time of each answered refresh, in ms (the deployment rig reports percentiles). */
  refreshLatenciesMs: number[];
};

export const sha256 = (value: string) => crypto.createHash("sha256").update(value).digest("hex");

type Reply = { status: number; body: any; refreshToken: string | null | undefined };

/** A user's first session, from a registration's or a login's answer. */
function adoptSession(user: VirtualUser, reply: Reply): void {
  user.userId = reply.body.user.id;
  user.accessToken = reply.body.accessToken;
  user.refreshToken = reply.refreshToken ?? null;
  user.sessionId = readSessionId(reply.body.accessToken);
  user.acknowledgedTokenHashes.push(sha256(user.refreshToken!));
}

export class LoadDriver {
  readonly users: VirtualUser[];
  readonly stats: LoadStats = {
    requests: 0,
    errors: new Map(),
    refreshes: 0,
    refreshLatenciesMs: [],
  };
  /** Each virtual user's session key (test/device-key.ts): sessions are bound, as in a browser. */
  private readonly devices = new DeviceKeys();
  private running = false;
  /** Requests sent and not yet answered (or failed): what a stuck run was waiting for. */
  private readonly inFlight = new Map<number, { path: string; since: number }>();
  private nextRequestId = 0;
  private loops: Promise<void>[] = [];

  constructor(
    /** The instances behind the load balancer; user i starts on instance i mod n. */
    public instances: string[],
    count: number,
    label: string,
    /** The origin the users' browsers see (the suites' APP_URL): what their proofs name. */
    private readonly publicOrigin = "http://localhost:8080",
  ) {
    const run = `${label}.${Date.now().toString(36)}`;
    this.users = Array.from({ length: count }, (_, index) => ({
      index,
      email: `vu${index}.${run}@example.test`,
      userId: null,
      sessionId: null,
      refreshToken: null,
      accessToken: null,
      lostWith: null,
      acknowledgedTokenHashes: [],
    }));
  }

  private count(kind: ErrorKind): void {
    this.stats.errors.set(kind, (this.stats.errors.get(kind) ?? 0) + 1);
  }

  private async call(
    instance: string,
    urlPath: string,
    init: { method: string; json?: unknown; bearer?: string; refreshToken?: string },
  ): Promise<Reply | ErrorKind> {
    const headers: Record<string, string> = {};
    if (init.json !== undefined) headers["content-type"] = "application/json";
    if (init.refreshToken) headers.cookie = `${REFRESH_COOKIE}=${init.refreshToken}`;
    this.stats.requests += 1;
    const requestId = this.nextRequestId++;
    this.inFlight.set(requestId, {
      path: `${init.method} ${instance}${urlPath}`,
      since: Date.now(),
    });
    const key = await this.devices.keyFor(urlPath, init.refreshToken);
    const startedAt = performance.now();
    const timers: NodeJS.Timeout[] = [];
    const controllers: AbortController[] = [];
    // IMPORTANT: the call ends by the deadline whatever fetch does. The deployment rig caught
    // requests (through nginx, during the rolling restart) still pending after 190 s although
    // their signal had been aborted at 5 s: undici never settled them, and the run stalled in
    // `stop()`. Aborting stays (it frees what it can); the race is what ends the call.
    const deadline = new Promise<never>((_, reject) => {
      timers.push(
        setTimeout(() => {
          for (const controller of controllers) controller.abort();
          reject(new DOMException("client timeout", "TimeoutError"));
        }, 2 * CLIENT_TIMEOUT_MS),
      );
    });
    const exchange = async (): Promise<Reply> => {
      const send = async () => {
        const controller = new AbortController();
        controllers.push(controller);
        timers.push(
          setTimeout(
            () => controller.abort(new DOMException("client timeout", "TimeoutError")),
            CLIENT_TIMEOUT_MS,
          ),
        );
        if (key) headers.dpop = await key.proof(init.method, `${this.publicOrigin}${urlPath}`);
        // A bound access token goes as `DPoP` with a fresh proof (with `ath`), as a browser's.
        if (init.bearer) {
          const url = `${this.publicOrigin}${urlPath}`;
          Object.assign(headers, await this.devices.authorize(init.bearer, init.method, url));
        }
        const answer = await fetch(`${instance}${urlPath}`, {
          method: init.method,
          headers,
          body: init.json === undefined ? undefined : JSON.stringify(init.json),
          signal: controller.signal,
        });
        key?.learnNonce(answer.headers);
        return answer;
      };
      let response = await send();
      // As the browser's wrapper does: one retry when the server asks for its newer nonce.
      if (key && response.status === 401 && response.headers.has("dpop-nonce")) {
        const peek = (await response
          .clone()
          .json()
          .catch(() => null)) as any;
        if (peek?.error?.code === "use_dpop_nonce") response = await send();
      }
      let refreshToken: string | null | undefined;
      for (const line of response.headers.getSetCookie()) {
        const match = new RegExp(`^${REFRESH_COOKIE}=([^;]*)`).exec(line);
        if (match) refreshToken = match[1] || null;
      }
      this.devices.remember(key, response.headers, refreshToken);
      // Every 503 must tell the client when to come back (the browser wrapper waits that long).
      if (response.status === 503 && !response.headers.get("retry-after")) {
        this.count("503 without Retry-After");
      }
      const text = await response.text();
      if (urlPath === "/api/auth/refresh") {
        this.stats.refreshLatenciesMs.push(performance.now() - startedAt);
      }
      let body: any = null;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        body = null;
      }
      if (typeof body?.accessToken === "string") {
        this.devices.remember(key, response.headers, null, body.accessToken);
      }
      return { status: response.status, body, refreshToken };
    };
    try {
      return await Promise.race([exchange(), deadline]);
    } catch (error) {
      const name = (error as Error).name;
      return name === "TimeoutError" || name === "AbortError" ? "client timeout" : "no answer";
    } finally {
      for (const timer of timers) clearTimeout(timer);
      this.inFlight.delete(requestId);
    }
  }

  /** The requests still waiting for an answer, oldest first (for a stuck run's failure). */
  describeInFlight(): string {
    const now = Date.now();
    const waiting = [...this.inFlight.values()].sort((a, b) => a.since - b.since);
    const oldest = waiting
      .slice(0, 5)
      .map((r) => `${r.path} for ${((now - r.since) / 1000).toFixed(0)} s`);
    return `${waiting.length} requests in flight${oldest.length ? `; oldest: ${oldest.join(", ")}` : ""}`;
  }

  private instanceFor(user: VirtualUser, attempt: number): string {
    return this.instances[(user.index + attempt) % this.instances.length]!;
  }

  /** Classifies a failed reply; returns true when the user should retry with the same cookie. */
  private recordFailure(reply: Reply | ErrorKind): boolean {
    if (typeof reply === "string") {
      this.count(reply);
      return true;
    }
    const code = reply.body?.error?.code ?? "no body";
    this.count(`${reply.status} ${code}`);
    // `refresh_token_superseded` changed nothing and kept the cookie: the browser's wrapper
    // tries again (lib/client/refresh-coordinator.ts). Counted, so a suite sees it.
    return reply.status >= 500 || reply.status === 429 || code === "refresh_token_superseded";
  }

  /**
   * Registers every user at once (the burst a cold instance must survive), or `concurrency` at a
   * time where the burst is not what is under test.
   */
  async registerAll(concurrency = this.users.length): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < this.users.length) await this.register(this.users[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, this.users.length) }, worker));
  }

  private async register(user: VirtualUser): Promise<void> {
    for (let attempt = 0; attempt < 40; attempt++) {
      const reply = await this.call(this.instanceFor(user, attempt), "/api/auth/register", {
        method: "POST",
        json: { email: user.email, password: PASSWORD },
      });
      if (typeof reply !== "string" && reply.status === 201) return adoptSession(user, reply);
      if (typeof reply !== "string" && reply.status === 409) {
        // An earlier attempt registered but its answer was lost: sign in instead.
        const login = await this.call(this.instanceFor(user, attempt), "/api/auth/login", {
          method: "POST",
          json: { email: user.email, password: PASSWORD },
        });
        if (typeof login !== "string" && login.status === 200) return adoptSession(user, login);
        this.recordFailure(login);
      } else if (!this.recordFailure(reply)) {
        throw new Error(`registration of ${user.email} refused: ${JSON.stringify(reply)}`);
      }
      await sleep(BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)]!);
    }
    throw new Error(`registration of ${user.email} never succeeded`);
  }

  /**
   * One refresh + /api/me cycle, retried with the same cookie until it succeeds, the user is
   * lost, or `giveUp()` says stop. Returns true when the cycle completed.
   */
  async cycle(user: VirtualUser, giveUp: () => boolean = () => false): Promise<boolean> {
    for (let attempt = 0; !user.lostWith; attempt++) {
      const instance = this.instanceFor(user, attempt);
      const reply = await this.call(instance, "/api/auth/refresh", {
        method: "POST",
        refreshToken: user.refreshToken!,
      });
      if (
        typeof reply !== "string" &&
        reply.status === 200 &&
        reply.refreshToken &&
        typeof reply.body?.accessToken !== "string"
      ) {
        // The headers (and so the new cookie, which a browser stores at once) arrived but the body
        // was cut off: keep the cookie, as a browser would, and refresh again with it.
        user.refreshToken = reply.refreshToken;
        user.acknowledgedTokenHashes.push(sha256(reply.refreshToken));
        this.count("200 with its body cut off");
        if (giveUp()) return false;
        continue;
      }
      if (typeof reply !== "string" && reply.status === 200 && reply.refreshToken) {
        this.stats.refreshes += 1;
        user.refreshToken = reply.refreshToken;
        user.accessToken = reply.body.accessToken;
        user.acknowledgedTokenHashes.push(sha256(reply.refreshToken));
        const me = await this.call(instance, "/api/me", {
          method: "GET",
          bearer: user.accessToken!,
        });
        if (typeof me !== "string" && me.status === 200) return true;
        // /api/me failing is counted; the session itself is fine, so the cycle still counts.
        this.recordFailure(me);
        return true;
      }
      if (typeof reply !== "string" && reply.status === 401) {
        this.count(`401 ${reply.body?.error?.code ?? "no body"}`);
        user.lostWith = reply.body?.error?.code ?? "401";
        return false;
      }
      if (!this.recordFailure(reply)) {
        user.lostWith = `unexpected ${typeof reply === "string" ? reply : reply.status}`;
        return false;
      }
      if (giveUp()) return false;
      await sleep(BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)]!);
    }
    return false;
  }

  /** Starts every user looping until `stop()`. */
  start(): void {
    this.running = true;
    this.loops = this.users.map(async (user) => {
      while (this.running && !user.lostWith) {
        await this.cycle(user, () => !this.running);
      }
    });
  }

  /** Stops the loops and waits for each to finish its current request. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /**
   * Waits until every user has completed `cycles` more cycles (each retried as long as it
   * takes): "the app recovers without being restarted".
   */
  async waitForProgress(cycles: number, deadlineMs = 120_000): Promise<void> {
    const before = this.stats.refreshes;
    const target = before + cycles * this.users.filter((u) => !u.lostWith).length;
    const deadline = Date.now() + deadlineMs;
    while (this.stats.refreshes < target && this.users.some((u) => !u.lostWith)) {
      if (Date.now() > deadline) {
        throw new Error(
          `no recovery: ${this.stats.refreshes - before} of ${target - before} refreshes`,
        );
      }
      await sleep(100);
    }
  }

  /**
   * After the fault: every user refreshes twice in turn, with no other request of theirs in
   * flight, so each session's head is the one token that user holds.
   */
  async settle(deadlineMs = 120_000, concurrency = 1): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    const late = () => Date.now() > deadline;
    let next = 0;
    // Users are independent: `concurrency` of them settle at once, each with one request at a time.
    const worker = async () => {
      while (next < this.users.length) {
        const user = this.users[next++]!;
        if (user.lostWith) continue;
        for (let i = 0; i < 2; i++) {
          if (!(await this.cycle(user, late))) break;
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    if (late()) throw new Error("the users could not settle: the app did not recover");
  }

  /** Starts counting afresh (each fault of a shared run gets its own figures). */
  resetStats(): void {
    this.stats.requests = 0;
    this.stats.errors.clear();
    this.stats.refreshLatenciesMs = [];
  }

  errorTable(): Record<string, number> {
    return Object.fromEntries([...this.stats.errors].sort(([a], [b]) => a.localeCompare(b)));
  }
}

function readSessionId(accessToken: string): string {
  return JSON.parse(Buffer.from(accessToken.split(".")[1]!, "base64url").toString()).sid;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
