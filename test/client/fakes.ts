/**
 * Test doubles for the auth client: a fake server behind `fetch`, and in-memory stand-ins for the
 * browser APIs two tabs share (Web Locks, BroadcastChannel) plus page visibility.
 * Outside the production folders: imported only by `*.test.ts`, nothing here ships to the browser.
 */
import type { AuthUser } from "@/lib/client/auth-store";
import type {
  BroadcastChannelLike,
  LockManagerLike,
  PageLifecycle,
} from "@/lib/client/auth-client";

export const TEST_USER: AuthUser = {
  id: "user-1",
  email: "ada@example.com",
  name: "Ada",
  createdAt: "2025-01-01T00:00:00.000Z",
};

export const ACCESS_TOKEN_TTL_SECONDS = 900;

export interface FetchCall {
  tab: string;
  path: string;
  method: string;
  authorization: string | null;
  /** The `DPoP` header (a proof by the device key), when one was sent. */
  dpop: string | null;
}

type Handler = (call: FetchCall) => Response | Promise<Response>;

export function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

export function errorResponse(
  status: number,
  code: string,
  fields?: Record<string, string[]>,
): Response {
  return jsonResponse(status, {
    error: { code, message: `message for ${code}`, ...(fields ? { fields } : {}) },
  });
}

/**
 * The login/refresh body. `accessTokenExpiresAt` uses the *server's* clock (`Date.now()` here);
 * the client is expected to ignore it in favour of `accessTokenExpiresIn`.
 */
export function sessionBody(accessToken: string, expiresInSeconds = ACCESS_TOKEN_TTL_SECONDS) {
  return {
    user: TEST_USER,
    accessToken,
    accessTokenExpiresAt: new Date(Date.now() + expiresInSeconds * 1000).toISOString(),
    accessTokenExpiresIn: expiresInSeconds,
  };
}

/**
 * A pretend server shared by all tabs of a test. Access tokens are `token-1`, `token-2`, ...;
 * `/api/notes` accepts only currently valid ones. Refresh answers can be scripted with
 * `refreshAnswers` (consumed in order); the default answer rotates to the next token.
 */
export class FakeServer {
  readonly calls: FetchCall[] = [];
  readonly refreshAnswers: Handler[] = [];
  readonly routes = new Map<string, Handler>();
  expiresInSeconds = ACCESS_TOKEN_TTL_SECONDS;
  private readonly validTokens = new Set<string>();
  private tokenSerial = 0;

  constructor() {
    this.routes.set("/api/auth/login", () =>
      jsonResponse(200, sessionBody(this.issueToken(), this.expiresInSeconds)),
    );
    this.routes.set("/api/auth/logout", () => new Response(null, { status: 204 }));
    this.routes.set("/api/auth/refresh", (call) => {
      const scripted = this.refreshAnswers.shift();
      return scripted ? scripted(call) : this.rotate();
    });
    this.routes.set("/api/notes", (call) => {
      if (call.authorization === null) return errorResponse(401, "token_missing");
      const token = call.authorization.replace(/^(Bearer|DPoP) /, "");
      return this.validTokens.has(token)
        ? jsonResponse(200, { notes: [], token })
        : errorResponse(401, "token_expired");
    });
  }

  /** A `fetch` whose calls are recorded under `tab`. */
  fetchFor(tab: string): typeof fetch {
    return async (input, init) => {
      const path =
        typeof input === "string" ? input : input instanceof URL ? input.pathname : input.url;
      const headers = new Headers(init?.headers);
      const call: FetchCall = {
        tab,
        path,
        method: init?.method ?? "GET",
        authorization: headers.get("Authorization"),
        dpop: headers.get("DPoP"),
      };
      this.calls.push(call);
      const handler = this.routes.get(path);
      return handler ? handler(call) : errorResponse(404, "not_found");
    };
  }

  issueToken(): string {
    this.tokenSerial += 1;
    const token = `token-${this.tokenSerial}`;
    this.validTokens.add(token);
    return token;
  }

  rotate(): Response {
    return jsonResponse(200, sessionBody(this.issueToken(), this.expiresInSeconds));
  }

  /** Every access token issued so far now answers 401 `token_expired`. */
  expireAccessTokens(): void {
    this.validTokens.clear();
  }

  callsTo(path: string, tab?: string): FetchCall[] {
    return this.calls.filter(
      (call) => call.path === path && (tab === undefined || call.tab === tab),
    );
  }
}

/** Exclusive locks shared by every "tab" holding this manager; waiters are served in order. */
export function createFakeLockManager(): LockManagerLike {
  const queues = new Map<string, Array<() => void>>();
  const held = new Set<string>();
  return {
    async request<T>(
      name: string,
      options: { signal?: AbortSignal },
      callback: () => Promise<T>,
    ): Promise<T> {
      if (held.has(name)) {
        await new Promise<void>((resolve, reject) => {
          const queue = queues.get(name) ?? [];
          queues.set(name, queue);
          queue.push(resolve);
          options.signal?.addEventListener("abort", () => {
            queue.splice(queue.indexOf(resolve), 1);
            reject(new DOMException("The lock request was aborted", "AbortError"));
          });
        });
      }
      held.add(name);
      try {
        return await callback();
      } finally {
        const next = queues.get(name)?.shift();
        if (next) next();
        else held.delete(name);
      }
    },
  };
}

/** BroadcastChannel semantics that matter here: async delivery, never to the sender itself. */
export class FakeChannelHub {
  private readonly channels = new Set<FakeChannel>();

  open(): FakeChannel {
    const channel = new FakeChannel((message, sender) => {
      for (const other of this.channels) if (other !== sender) other.deliver(message);
    });
    this.channels.add(channel);
    return channel;
  }
}

export class FakeChannel implements BroadcastChannelLike {
  readonly sent: unknown[] = [];
  private readonly listeners = new Set<(event: { data: unknown }) => void>();

  constructor(private readonly send: (message: unknown, sender: FakeChannel) => void) {}

  postMessage(message: unknown): void {
    this.sent.push(message);
    this.send(structuredClone(message), this);
  }

  addEventListener(_type: "message", listener: (event: { data: unknown }) => void): void {
    this.listeners.add(listener);
  }

  removeEventListener(_type: "message", listener: (event: { data: unknown }) => void): void {
    this.listeners.delete(listener);
  }

  deliver(data: unknown): void {
    void Promise.resolve().then(() => {
      for (const listener of this.listeners) listener({ data });
    });
  }
}

export class FakeLifecycle implements PageLifecycle {
  private readonly listeners = new Set<() => void>();

  constructor(public visible = true) {}

  isVisible(): boolean {
    return this.visible;
  }

  subscribe(onWake: () => void): () => void {
    this.listeners.add(onWake);
    return () => this.listeners.delete(onWake);
  }

  /** What `visibilitychange` / `focus` / `online` would do. */
  wake(): void {
    for (const listener of this.listeners) listener();
  }
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}

export function createDeferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

// Captured at import, before any test installs fake timers, so flushing works under both.
const realSetImmediate = globalThis.setImmediate;

/**
 * Lets every pending promise chain run (fetch -> clone().json() -> lock -> broadcast delivery):
 * each macrotask turn drains the microtask queue. Does not advance fake time.
 */
export async function flushPromises(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => realSetImmediate(resolve));
}
