import "server-only";

/**
 * The only reader of `process.env`. Configuration is parsed and validated once, at start: the
 * server's `register()` (instrumentation.ts) calls `loadEnv()` before anything else, so a bad
 * value stops the server with a message that says what to fix, before it answers a request.
 * Scripts (`npm run db:migrate`, the benchmark) get the same validation from
 * their first `getEnv()`, which is the first thing each of them does.
 *
 * Every variable here is documented in docs/configuration.md.
 */
import path from "node:path";
import { z } from "zod";

const positiveSeconds = (fallback: number) =>
  z.coerce
    .number()
    .int("must be a whole number of seconds")
    .positive("must be greater than zero")
    .default(fallback);

/** A bound on a database wait, in milliseconds: at least 100 ms, at most 10 minutes. */
const boundMs = (fallback: number) =>
  z.coerce
    .number()
    .int("must be a whole number of milliseconds")
    .min(100, "must be at least 100 ms")
    .max(600_000, "must be at most 600000 ms (10 minutes)")
    .default(fallback);

const envSchema = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    PORT: z.coerce.number().int().min(1).max(65535).default(3000),
    /**
     * The address `npm start` / `npm run dev` listen on (`next start -H`). Loopback by default:
     * the server is reachable only from this machine until you choose otherwise.
     */
    HOST: z
      .string()
      .regex(/^[A-Za-z0-9.:[\]-]+$/, "must be a host name or an IP address")
      .default("127.0.0.1"),
    /** Public origin of the app. An https origin that is not loopback declares a public deployment. */
    APP_URL: z.url({ protocol: /^https?$/ }).optional(),
    /** Unset: embedded PGlite under DATA_DIR. Set: a PostgreSQL connection string. */
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, "must be a postgresql:// connection string")
      .optional(),
    /**
     * Where the revocation listener LISTENs (lib/auth/revocation.ts): a connection that keeps its
     * session (a direct one, or a session-mode pool). Unset: DATABASE_URL. Required with
     * DB_POOL_MODE=transaction, where DATABASE_URL's pooler would drop the notifications.
     */
    DATABASE_LISTEN_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, "must be a postgresql:// connection string")
      .optional(),
    /**
     * What DATABASE_URL reaches: "direct" (PostgreSQL itself, or a session-mode pool) or
     * "transaction" (a transaction-mode pooler such as PgBouncer `pool_mode = transaction`). In
     * transaction mode the server-side timeouts are not sent as startup parameters (PgBouncer
     * refuses them), so the pooler's `connect_query` sets them (deploy/pgbouncer.ini).
     */
    DB_POOL_MODE: z.enum(["direct", "transaction"]).default("direct"),
    DATA_DIR: z.string().min(1).default(".data"),
    ACCESS_TOKEN_TTL_SECONDS: positiveSeconds(300),
    /** Verified access tokens remembered per process (lib/auth/tokens.ts); 0 turns the cache off. */
    ACCESS_TOKEN_CACHE_SIZE: z.coerce
      .number()
      .int("must be a whole number of entries")
      .min(0)
      .max(1_000_000)
      .default(10_000),
    REFRESH_GRACE_SECONDS: z.coerce.number().int().min(0).default(300),
    SESSION_IDLE_TIMEOUT_SECONDS: positiveSeconds(7 * 24 * 60 * 60),
    SESSION_ABSOLUTE_TIMEOUT_SECONDS: positiveSeconds(30 * 24 * 60 * 60),
    /**
     * Access-token signature algorithm (lib/auth/keys.ts). Unset: ES256 for generated keys, and
     * whatever the first key of AUTH_SIGNING_KEYS is; set: that key must be of this algorithm.
     */
    ACCESS_TOKEN_ALG: z.enum(["ES256", "Ed25519", "RS256"]).optional(),
    /** A JWKS of private keys, `{"keys":[...]}`; the first key signs, all of them verify. */
    AUTH_SIGNING_KEYS: z.string().min(1).optional(),
    /** Password hashes (argon2id) run at once per process; unset: the number of cores. */
    HASH_CONCURRENCY: z.coerce.number().int().min(1).max(256).optional(),
    /** Hashes that may wait for a slot; beyond it 503 `server_busy`. Unset: 4 × HASH_CONCURRENCY. */
    HASH_QUEUE_LIMIT: z.coerce.number().int().min(0).max(10_000).optional(),
    /** New accounts per minute per app instance, when addresses are unknown (no TRUST_PROXY). */
    REGISTRATION_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(120),
    /** "1" when a reverse proxy you control sets X-Forwarded-For / X-Forwarded-Proto. */
    TRUST_PROXY: z.enum(["0", "1"]).default("0"),
    /**
     * Device binding (lib/auth/dpop.ts): "on" (the default) binds each session to a key held by
     * the browser, and every refresh must carry a DPoP proof signed by it. "off" is the explicit
     * switch for clients that cannot sign (a first port to another stack): sessions are then
     * bearer sessions, and a copied refresh cookie works until rotation catches it.
     */
    DPOP_BINDING: z.enum(["on", "off"]).default("on"),
    /**
     * Access-token binding (lib/auth/authenticate.ts): "on" (the default) gives a bound session's
     * access tokens `cnf.jkt`, and the API then takes them only as `Authorization: DPoP` with a
     * proof by the device key, so a copied access token is useless too. "off" is the explicit
     * switch for resource servers of other stacks that only read plain Bearer tokens: access
     * tokens carry no `cnf` (refreshes stay bound while DPOP_BINDING is on). A token that carries
     * `cnf` always needs its proof, whatever the switch says.
     */
    ACCESS_TOKEN_BINDING: z.enum(["on", "off"]).default("on"),
    /**
     * How many leading bits of an IPv6 address name one client for the per-address throttles
     * (lib/auth/throttle-address.ts): 64 by default, the block one customer gets; 48 or 56
     * count a whole site as one; 128 the exact address (not advised).
     */
    THROTTLE_IPV6_PREFIX: z.coerce
      .number()
      .int("must be a whole number of bits")
      .min(32, "must be at least 32 (a shorter prefix lumps whole providers together)")
      .max(128, "must be at most 128 (an IPv6 address has 128 bits)")
      .default(64),
    /**
     * "1" lets end-to-end tests move the server's clock per request (X-Test-Clock-Offset).
     * Opt-in, and only for a local server (`isLocal`).
     */
    AUTH_TEST_CLOCK: z.enum(["0", "1"]).default("0"),
    /**
     * The inspector's scenario endpoints (/api/auth/dev/*: a genuinely expired access token, a
     * captured refresh token replayed as a thief would, a lost refresh answer) and its policy
     * panel. "auto": on exactly when the server is local; "1" insists (refused when not local);
     * "0" turns them off.
     */
    AUTH_DEV_SCENARIOS: z.enum(["auto", "0", "1"]).default("auto"),
    // Bounded waits (lib/db/client.ts): every wait on the database ends, and a request that
    // hits one answers 503 service_unavailable with Retry-After instead of hanging or a 500.
    /** Connections kept by each instance's PostgreSQL pool. */
    DB_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(10),
    /** How long opening a PostgreSQL connection may take. */
    DB_CONNECT_TIMEOUT_MS: boundMs(5_000),
    /** PostgreSQL cancels any one statement that runs longer (work a client gave up on stops). */
    DB_STATEMENT_TIMEOUT_MS: boundMs(5_000),
    /** PostgreSQL gives up waiting for a row or table lock after this long. */
    DB_LOCK_TIMEOUT_MS: boundMs(3_000),
    /** PostgreSQL ends a session that sits idle inside an open transaction this long. */
    DB_IDLE_TRANSACTION_TIMEOUT_MS: boundMs(10_000),
    /** Prisma: longest wait for a connection (or PGlite's one) to start a transaction. */
    DB_TRANSACTION_MAX_WAIT_MS: boundMs(5_000),
    /** Prisma: longest an interactive transaction may stay open. */
    DB_TRANSACTION_TIMEOUT_MS: boundMs(10_000),
    // Retention (lib/auth/retention.ts): what the prune deletes, and how often it runs.
    /** Seconds between background prunes on each instance (one runs at a time); 0 turns it off. */
    PRUNE_INTERVAL_SECONDS: z.coerce.number().int().min(0).default(600),
    /** Rows one prune transaction deletes at most (sessions, then spent tokens). */
    PRUNE_BATCH_SIZE: z.coerce.number().int().min(1).max(100_000).default(1_000),
    /**
     * How long a session is kept after it ended (revoked, or past its idle or absolute expiry):
     * the sessions list and the inspector still show it, and its tokens still answer "revoked".
     * At least 60 s, so clock drift between instances never makes a just-live session look over.
     */
    PRUNE_SESSION_GRACE_SECONDS: z.coerce
      .number()
      .int()
      .min(60)
      .default(7 * 24 * 60 * 60),
    /**
     * How long a spent refresh token of a live session is kept: reuse detection (a stolen token
     * presented after it was rotated revokes the family) covers this long after it was spent.
     * At least REFRESH_GRACE_SECONDS (the grace re-issue needs the head's parent).
     */
    PRUNE_SPENT_TOKEN_GRACE_SECONDS: z.coerce
      .number()
      .int()
      .min(0)
      .default(7 * 24 * 60 * 60),
    /** After SIGTERM: how long in-flight requests may take before the process exits anyway. */
    SHUTDOWN_TIMEOUT_MS: boundMs(8_000),
    // Operators' events (lib/ops): structured logs and Prometheus metrics.
    /** The structured log's threshold (pino levels); "silent" writes nothing. */
    LOG_LEVEL: z
      .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
      .default("info"),
    /** "0" turns metrics off: nothing is counted and /api/metrics answers 404. */
    METRICS_ENABLED: z.enum(["0", "1"]).default("1"),
    /**
     * A secret a scraper sends as `Authorization: Bearer …` to read /api/metrics. Unset: the
     * endpoint answers only a loopback server's unproxied requests (lib/ops/metrics-access.ts).
     */
    METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  })
  .refine((env) => env.SESSION_IDLE_TIMEOUT_SECONDS <= env.SESSION_ABSOLUTE_TIMEOUT_SECONDS, {
    message: "SESSION_IDLE_TIMEOUT_SECONDS must not exceed SESSION_ABSOLUTE_TIMEOUT_SECONDS",
    path: ["SESSION_IDLE_TIMEOUT_SECONDS"],
  })
  .refine((env) => env.PRUNE_SPENT_TOKEN_GRACE_SECONDS >= env.REFRESH_GRACE_SECONDS, {
    message:
      "PRUNE_SPENT_TOKEN_GRACE_SECONDS must be at least REFRESH_GRACE_SECONDS (the grace re-issue reads the spent parent)",
    path: ["PRUNE_SPENT_TOKEN_GRACE_SECONDS"],
  })
  .refine((env) => env.DB_POOL_MODE === "direct" || env.DATABASE_LISTEN_URL, {
    message:
      "DB_POOL_MODE=transaction needs DATABASE_LISTEN_URL (a direct or session-mode connection): a transaction-mode pooler drops LISTEN notifications",
    path: ["DATABASE_LISTEN_URL"],
  })
  .refine((env) => env.DB_STATEMENT_TIMEOUT_MS <= env.DB_TRANSACTION_TIMEOUT_MS, {
    message: "DB_STATEMENT_TIMEOUT_MS must not exceed DB_TRANSACTION_TIMEOUT_MS",
    path: ["DB_STATEMENT_TIMEOUT_MS"],
  });

export type Env = z.infer<typeof envSchema> & {
  /** Absolute path of DATA_DIR. */
  dataDir: string;
  /** The origin tokens name as issuer and audience. */
  appUrl: string;
  /** True when APP_URL is an https origin on a non-loopback host. */
  isPublicDeployment: boolean;
  /**
   * True when only this machine can reach the app: the server listens on a loopback HOST, and
   * APP_URL, when set, is a loopback origin too. The one switch for everything that must never be
   * offered to other machines (the test clock, the inspector's scenarios).
   */
  isLocal: boolean;
  /** Whether the inspector's scenarios and policy panel are on (AUTH_DEV_SCENARIOS resolved). */
  devScenariosEnabled: boolean;
};

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Loopback spellings a HOST may take: localhost, 127.0.0.0/8, ::1. */
export function isLoopbackAddress(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  return bare === "localhost" || bare === "::1" || /^127(\.\d{1,3}){3}$/.test(bare);
}

/** Thrown at start when configuration is invalid; the message says what to fix. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/**
 * Parses configuration from a plain object (normally `process.env`).
 *
 * @example
 * const env = parseEnv({ ACCESS_TOKEN_TTL_SECONDS: "60" });
 * env.ACCESS_TOKEN_TTL_SECONDS; // 60
 */
export function parseEnv(source: Record<string, string | undefined>): Env {
  // Treat empty strings as unset: `FOO= npm start` should mean "default".
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== ""));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const env = result.data;
  const appUrl = (env.APP_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, "");
  const { protocol, host, hostname } = new URL(appUrl);
  const isPublicDeployment = protocol === "https:" && !LOOPBACK_HOSTS.has(hostname);
  // IMPORTANT: both must hold. APP_URL says what browsers type, HOST what the server listens on:
  // `HOST=0.0.0.0 APP_URL=http://localhost:3000` (the usual container run) answers every machine
  // that can reach the port, whatever the browser on this one types.
  const hostIsLoopback = isLoopbackAddress(env.HOST);
  const isLocal = hostIsLoopback && (env.APP_URL ? LOOPBACK_HOSTS.has(hostname) : true);
  const notLocalBecause = !hostIsLoopback
    ? `HOST is ${env.HOST}, so the server listens beyond this machine (whatever APP_URL says).`
    : `APP_URL is ${host}.`;
  // IMPORTANT: `next start` always runs with NODE_ENV=production. Without APP_URL such a server
  // cannot know who reaches it (a container's port mapping, a proxy in front), so it gets no
  // development conveniences: no generated key, no test clock, no scenarios.
  const productionWithoutAppUrl = env.NODE_ENV === "production" && !env.APP_URL;
  if (isPublicDeployment && !env.AUTH_SIGNING_KEYS) {
    throw new ConfigError(
      `APP_URL (${host}) declares a public deployment, but AUTH_SIGNING_KEYS is not set.\n` +
        "  Generate a key set with `npm run keys:generate` and pass its output as AUTH_SIGNING_KEYS.\n" +
        "  (Keys are generated automatically only for local runs.)",
    );
  }
  if (productionWithoutAppUrl && !env.AUTH_SIGNING_KEYS) {
    throw new ConfigError(
      "NODE_ENV=production without APP_URL: this server will not sign tokens with a generated key.\n" +
        `  Set APP_URL to the origin browsers use (for a local run: APP_URL=http://localhost:${env.PORT}),\n` +
        "  or set AUTH_SIGNING_KEYS to the output of `npm run keys:generate`.",
    );
  }
  if (env.AUTH_TEST_CLOCK === "1" && (!isLocal || productionWithoutAppUrl)) {
    throw new ConfigError(
      "AUTH_TEST_CLOCK=1 lets any client move the server's clock; it is refused unless the server is local: " +
        "HOST a loopback address and APP_URL a loopback origin (http://localhost:<port>, 127.0.0.1, [::1]). " +
        (productionWithoutAppUrl && hostIsLoopback
          ? "NODE_ENV=production and APP_URL is not set."
          : notLocalBecause),
    );
  }
  if (env.AUTH_DEV_SCENARIOS === "1" && (!isLocal || productionWithoutAppUrl)) {
    throw new ConfigError(
      "AUTH_DEV_SCENARIOS=1 lets a signed-in user capture, replay and lose the answers of refresh tokens; " +
        "it is refused unless the server is local: HOST a loopback address, and APP_URL a loopback origin " +
        "(http://localhost:<port>) or, outside production, unset. " +
        (productionWithoutAppUrl && hostIsLoopback
          ? "NODE_ENV=production and APP_URL is not set."
          : notLocalBecause) +
        " Unset it (the default, auto, turns the scenarios on for local servers only).",
    );
  }
  const devScenariosEnabled =
    env.AUTH_DEV_SCENARIOS === "1" ||
    (env.AUTH_DEV_SCENARIOS === "auto" && isLocal && !productionWithoutAppUrl);
  return {
    ...env,
    dataDir: path.resolve(env.DATA_DIR),
    appUrl,
    isPublicDeployment,
    isLocal,
    devScenariosEnabled,
  };
}

/**
 * Settings that are valid but probably not what was meant; the server starts and prints each one
 * (lib/server-start.ts).
 *
 * - APP_URL on a loopback host with a port other than PORT, and no proxy declared: browsers go
 *   to APP_URL's port while the server listens on PORT, and the tokens name APP_URL's origin.
 *   Fine behind a proxy on this machine (declare it with TRUST_PROXY=1); otherwise a typo, or
 *   advice for another PORT followed literally.
 *
 * @example
 * configurationWarnings(parseEnv({ PORT: "3302", APP_URL: "http://localhost:3000" }));
 * // → ["APP_URL is http://localhost:3000 (port 3000), but this server listens on PORT 3302 …"]
 */
export function configurationWarnings(env: Env): string[] {
  const warnings: string[] = [];
  if (env.APP_URL && env.TRUST_PROXY !== "1") {
    const url = new URL(env.appUrl);
    const appPort = Number(url.port || (url.protocol === "https:" ? 443 : 80));
    if (LOOPBACK_HOSTS.has(url.hostname) && appPort !== env.PORT) {
      warnings.push(
        `APP_URL is ${env.appUrl} (port ${appPort}), but this server listens on PORT ${env.PORT} ` +
          "and no proxy is declared (TRUST_PROXY). Browsers that follow APP_URL will not reach " +
          `this server, and its tokens name port ${appPort}. Set APP_URL=${url.protocol}//${url.hostname}:${env.PORT}, ` +
          `or TRUST_PROXY=1 if a proxy on port ${appPort} forwards to it.`,
      );
    }
  }
  return warnings;
}

/**
 * The validated configuration, kept on globalThis so hot reload does not re-read it. Tests that
 * change process.env drop it through lib/dev/process-state.ts.
 */
const globalForEnv = globalThis as typeof globalThis & { __env?: Env };

/**
 * Reads and validates `process.env` now, and keeps the result for `getEnv()`. Throws ConfigError
 * with every problem listed.
 *
 * @example
 * loadEnv(); // instrumentation.ts, first thing at start
 */
export function loadEnv(): Env {
  globalForEnv.__env = parseEnv(process.env);
  return globalForEnv.__env;
}

/** The validated configuration of this process (loaded at start; a script's first call loads it). */
export function getEnv(): Env {
  return globalForEnv.__env ?? loadEnv();
}
