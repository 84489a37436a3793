import "server-only";

/**
 * Instant revocation: every instance refuses a revoked session's access
 * tokens within about a second, while a protected request still reads no
 * database.
 *
 * The channel. A trigger on `sessions` (prisma/migrations/…_session_revoked_notify)
 * calls `pg_notify(REVOCATION_CHANNEL, id)` when `revoked_at` goes from NULL to
 * a time (or a live session row is deleted). NOTIFY is delivered at commit, to
 * every connection that LISTENs. Each instance holds one listening
 * connection (a dedicated `pg` client on PostgreSQL; PGlite's in-process
 * `listen` on the embedded database) and keeps the ids it hears in memory for
 * as long as an access token can live (ACCESS_TOKEN_TTL_SECONDS plus a
 * margin), after which every token of that session has expired anyway and the
 * id is forgotten: memory is bounded by the revocations of one token lifetime.
 *
 * States of a RevocationListener:
 *
 *   CONNECTING   opening the connection and issuing LISTEN
 *   CATCHING_UP  LISTEN is in effect; loading the sessions revoked within the
 *                retention window (what was missed while not listening)
 *   LIVE         memory is complete: a request checks only the in-memory set
 *   DOWN         the connection broke (or never opened); a reconnect is
 *                scheduled with exponential backoff
 *
 * The race it prevents: a revocation that commits while nobody listens. Only
 * in LIVE is memory trusted; in every other state a request checks its session
 * in the database (fail safe: slower, never wrong), and the instance logs once
 * that it does so. LISTEN is issued BEFORE the catch-up query, so a
 * revocation committed after LISTEN is heard and one committed before it is
 * in the query's result: no gap between the two. A connection that dies
 * flips the state to DOWN at once (the `pg` client reports the server's
 * termination), so from that moment on requests go to the database again.
 *
 * What it does not cover: services that verify our tokens with only the JWKS
 * (examples/resource-server) have no channel and accept a token until it
 * expires. See SECURITY.md.
 */
import pg from "pg";
import { SessionRevoked } from "@/lib/auth/errors";
import { chooseDatabase, describeDatabase, openPglite } from "@/lib/db/adapter";
import { getDb } from "@/lib/db/client";
import { getEnv } from "@/lib/env";
import { registerShutdownCloser } from "@/lib/shutdown";
import { getLogger } from "@/lib/ops/logger";

/**
 * The PostgreSQL NOTIFY channel the trigger announces revocations on: a name on the database's
 * wire, spelled here once for the app and once in the migration's trigger, which must agree
 * (test/api/revocation.test.ts reads the migration to check). It is not the HTTP error code
 * `ERROR_CODE.sessionRevoked` (lib/contract/errors.ts), which only happens to be spelled alike:
 * renaming either must leave the other alone, so neither is written in terms of the other.
 */
export const REVOCATION_CHANNEL = "session_revoked";
/**
 * Kept beyond the token lifetime: a token signed just after its session's
 * revocation committed (by a refresh that won the race), clock tolerance, and
 * clock drift between the app and the database all fit in it.
 */
const RETENTION_MARGIN_SECONDS = 60;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type RevocationState = "stopped" | "connecting" | "catching_up" | "live" | "down";

/** One open LISTEN subscription. */
export type RevocationFeed = {
  /** Ids of sessions revoked within the last `seconds` (by the database's clock). */
  loadRecentlyRevoked(seconds: number): Promise<string[]>;
  close(): Promise<void>;
};

/** Where revocations are heard: PostgreSQL or PGlite. */
export type RevocationSource = {
  description: string;
  /**
   * Opens a connection and LISTENs; resolves once LISTEN is in effect.
   * `onDropped` is called at most once, when the subscription breaks.
   */
  subscribe(
    onRevoked: (sessionId: string) => void,
    onDropped: (error: Error) => void,
  ): Promise<RevocationFeed>;
};

const RECENTLY_REVOKED_SQL =
  "SELECT id::text AS id FROM sessions WHERE revoked_at >= now() - make_interval(secs => $1)";

/**
 * A dedicated `pg` connection (never a pooled one: a pool would hand the
 * LISTENing connection to someone else, or close it when idle).
 *
 * @example
 * const source = postgresRevocationSource(process.env.DATABASE_URL);
 */
export function postgresRevocationSource(
  connectionString: string,
  applicationName = "jwt-revocation-listener",
): RevocationSource {
  return {
    description: "PostgreSQL LISTEN",
    async subscribe(onRevoked, onDropped) {
      const client = new pg.Client({
        connectionString,
        // A half-open TCP connection (a vanished peer) is noticed, not trusted forever.
        keepAlive: true,
        keepAliveInitialDelayMillis: 10_000,
        // Names the connection in pg_stat_activity (an operator sees who LISTENs).
        application_name: applicationName,
      });
      let closed = false;
      const drop = (error: Error) => {
        if (closed) return;
        closed = true;
        client.end().catch(() => {});
        onDropped(error);
      };
      client.on("error", drop);
      client.on("end", () => drop(new Error("the listening connection ended")));
      client.on("notification", (message) => {
        if (message.channel === REVOCATION_CHANNEL && message.payload) onRevoked(message.payload);
      });
      try {
        await client.connect();
        await client.query(`LISTEN ${REVOCATION_CHANNEL}`);
      } catch (error) {
        closed = true;
        client.end().catch(() => {});
        throw error;
      }
      return {
        async loadRecentlyRevoked(seconds) {
          const { rows } = await client.query<{ id: string }>(RECENTLY_REVOKED_SQL, [seconds]);
          return rows.map((row) => row.id);
        },
        async close() {
          closed = true;
          await client.end().catch(() => {});
        },
      };
    },
  };
}

/**
 * PGlite's own LISTEN, in this process. The embedded database has no
 * connection to lose; it still goes through catch-up once at start.
 *
 * @example
 * const source = pgliteRevocationSource("/app/.data/pglite");
 */
export function pgliteRevocationSource(dataDir: string): RevocationSource {
  return {
    description: "PGlite LISTEN",
    async subscribe(onRevoked) {
      const pglite = await openPglite(dataDir);
      const unlisten = await pglite.listen(REVOCATION_CHANNEL, (payload) => {
        if (payload) onRevoked(payload);
      });
      return {
        async loadRecentlyRevoked(seconds) {
          const { rows } = await pglite.query<{ id: string }>(RECENTLY_REVOKED_SQL, [seconds]);
          return rows.map((row) => row.id);
        },
        async close() {
          await unlisten().catch(() => {});
        },
      };
    },
  };
}

/** Is this session live in the database? The per-request fallback while not LIVE. */
async function isSessionLiveInDatabase(sessionId: string): Promise<boolean> {
  if (!UUID.test(sessionId)) return false;
  const db = await getDb();
  const session = await db.session.findUnique({
    where: { id: sessionId },
    select: { revokedAt: true },
  });
  return session !== null && session.revokedAt === null;
}

export type RevocationListenerOptions = {
  /** How long an id is remembered: the longest access-token lifetime, in seconds. */
  tokenLifetimeSeconds: number;
  /** The fallback check while not LIVE (defaults to a read through the app's Prisma client). */
  isSessionLive?: (sessionId: string) => Promise<boolean>;
  log?: Pick<Console, "info" | "warn">;
  /** First reconnect delay; doubles per failure up to `maxBackoffMs`, with jitter. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
};

/**
 * One instance's view of which sessions are revoked (see the module comment).
 *
 * @example
 * const listener = new RevocationListener(postgresRevocationSource(url), { tokenLifetimeSeconds: 300 });
 * listener.start();
 * await listener.assertSessionLive(claims.sid); // throws SessionRevoked
 */
export class RevocationListener {
  #state: RevocationState = "stopped";
  /**
   * Revoked session id → when it may be forgotten (ms). Insertion order is expiry order.
   * IMPORTANT: not a cache, so not an LRU: forgetting an id early would let a revoked session's
   * token through. Nothing is ever evicted for room; an id goes only once every token of its
   * session has expired, which bounds the map by one token lifetime's revocations.
   */
  readonly #revoked = new Map<string, number>();
  #feed: RevocationFeed | null = null;
  /** Bumped per connection attempt, so callbacks of an old connection change nothing. */
  #attempt = 0;
  #failures = 0;
  #subscriptions = 0;
  #reconnectTimer: NodeJS.Timeout | null = null;
  /** True once the "checking in the database" warning was logged for the current outage. */
  #warned = false;
  readonly #retentionSeconds: number;
  readonly #isSessionLive: (sessionId: string) => Promise<boolean>;
  readonly #log: Pick<Console, "info" | "warn">;
  readonly #initialBackoffMs: number;
  readonly #maxBackoffMs: number;

  constructor(
    readonly source: RevocationSource,
    options: RevocationListenerOptions,
  ) {
    this.#retentionSeconds = options.tokenLifetimeSeconds + RETENTION_MARGIN_SECONDS;
    this.#isSessionLive = options.isSessionLive ?? isSessionLiveInDatabase;
    this.#log = options.log ?? console;
    this.#initialBackoffMs = options.initialBackoffMs ?? 250;
    this.#maxBackoffMs = options.maxBackoffMs ?? 10_000;
  }

  get state(): RevocationState {
    return this.#state;
  }

  /** How many revoked ids are held right now (bounded by one token lifetime's revocations). */
  get size(): number {
    this.#forgetExpired();
    return this.#revoked.size;
  }

  /** How many times a subscription was opened (1 + reconnects). */
  get subscriptions(): number {
    return this.#subscriptions;
  }

  /** Starts listening (idempotent). */
  start(): void {
    if (this.#state !== "stopped") return;
    void this.#connect();
  }

  /** Stops listening and forgets everything. */
  async stop(): Promise<void> {
    this.#attempt += 1;
    this.#state = "stopped";
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = null;
    const feed = this.#feed;
    this.#feed = null;
    this.#revoked.clear();
    await feed?.close();
  }

  /**
   * Throws SessionRevoked when the session is revoked. While LIVE this is a
   * Map lookup; otherwise it asks the database (and says so once in the log).
   */
  async assertSessionLive(sessionId: string): Promise<void> {
    if (this.#isKnownRevoked(sessionId)) throw new SessionRevoked();
    if (this.#state === "live") return;
    // Not caught up: the first connection is still opening, or the channel was lost (which
    // #lost logged once). Memory may be missing a revocation; the database is not.
    if (!(await this.#isSessionLive(sessionId))) {
      this.#remember(sessionId);
      throw new SessionRevoked();
    }
  }

  #isKnownRevoked(sessionId: string): boolean {
    const forgetAt = this.#revoked.get(sessionId);
    if (forgetAt === undefined) return false;
    if (forgetAt > Date.now()) return true;
    this.#revoked.delete(sessionId);
    return false;
  }

  #remember(sessionId: string): void {
    this.#revoked.delete(sessionId);
    this.#revoked.set(sessionId, Date.now() + this.#retentionSeconds * 1000);
    this.#forgetExpired();
  }

  #forgetExpired(): void {
    const now = Date.now();
    for (const [id, forgetAt] of this.#revoked) {
      if (forgetAt > now) break;
      this.#revoked.delete(id);
    }
  }

  async #connect(): Promise<void> {
    const attempt = ++this.#attempt;
    this.#reconnectTimer = null;
    this.#state = "connecting";
    const current = () => attempt === this.#attempt;
    try {
      const feed = await this.source.subscribe(
        (sessionId) => {
          if (current()) this.#remember(sessionId);
        },
        (error) => {
          if (current()) this.#lost(error);
        },
      );
      if (!current()) {
        await feed.close();
        return;
      }
      this.#feed = feed;
      this.#subscriptions += 1;
      this.#state = "catching_up";
      const missed = await feed.loadRecentlyRevoked(this.#retentionSeconds);
      if (!current()) return;
      for (const id of missed) this.#remember(id);
      this.#state = "live";
      this.#failures = 0;
      if (this.#warned) {
        this.#log.info(
          `[auth] Revocation channel (${this.source.description}) caught up (${missed.length} recent revocations): ` +
            "access tokens are checked in memory again.",
        );
      }
      this.#warned = false;
    } catch (error) {
      if (current()) this.#lost(error as Error);
    }
  }

  #lost(error: Error): void {
    const feed = this.#feed;
    this.#feed = null;
    void feed?.close();
    this.#attempt += 1; // late callbacks of the lost connection are ignored
    this.#state = "down";
    if (!this.#warned) {
      this.#warned = true;
      this.#log.warn(
        `[auth] Revocation channel (${this.source.description}) lost: ${error.message}. ` +
          "Checking each access token's session in the database until it reconnects and catches up.",
      );
    }
    const delay = Math.min(this.#maxBackoffMs, this.#initialBackoffMs * 2 ** this.#failures);
    this.#failures += 1;
    const jittered = delay / 2 + Math.random() * (delay / 2);
    this.#reconnectTimer = setTimeout(() => void this.#connect(), jittered);
    this.#reconnectTimer.unref();
  }
}

const globalForRevocation = globalThis as typeof globalThis & {
  __revocationListener?: { env: object; key: string; listener: RevocationListener };
};

/** The listener's state changes, in the structured log. */
const revocationLog: Pick<Console, "info" | "warn"> = {
  info: (message: string) => getLogger().info({ component: "revocation" }, message),
  warn: (message: string) => getLogger().warn({ component: "revocation" }, message),
};

/**
 * This process's listener, started on first use, for the configured database.
 *
 * @example
 * await getRevocationListener().assertSessionLive(claims.sid);
 */
export function getRevocationListener(): RevocationListener {
  const env = getEnv();
  const cached = globalForRevocation.__revocationListener;
  // The hot path: the same configuration object as last time (getEnv caches it).
  if (cached?.env === env) return cached.listener;
  const target = chooseDatabase(env);
  const listenUrl = env.DATABASE_LISTEN_URL ?? "";
  const key = `${describeDatabase(target)}|${listenUrl}|${env.ACCESS_TOKEN_TTL_SECONDS}`;
  if (cached?.key === key) {
    cached.env = env;
    return cached.listener;
  }
  void cached?.listener.stop();
  const source =
    target.kind === "postgres"
      ? postgresRevocationSource(env.DATABASE_LISTEN_URL ?? target.url)
      : pgliteRevocationSource(target.dataDir);
  const listener = new RevocationListener(source, {
    tokenLifetimeSeconds: env.ACCESS_TOKEN_TTL_SECONDS,
    log: revocationLog,
  });
  listener.start();
  // Its connection would otherwise keep a draining process alive (lib/shutdown.ts).
  registerShutdownCloser("revocation-listener", () => listener.stop());
  globalForRevocation.__revocationListener = { env, key, listener };
  return listener;
}
