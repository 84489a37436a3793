/**
 * The only reader of `process.env`. Configuration is parsed and validated once,
 * the first time anything asks for it, so a bad value fails loudly at start
 * instead of deep inside a request.
 *
 * Every variable here is documented in the README ("Configuration").
 */
import path from "node:path";
import { z } from "zod";

const positiveSeconds = (fallback: number) =>
  z.coerce
    .number()
    .int("must be a whole number of seconds")
    .positive("must be greater than zero")
    .default(fallback);

const envSchema = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    PORT: z.coerce.number().int().min(1).max(65535).default(3000),
    /** Public origin of the app. An https origin that is not loopback declares a public deployment. */
    APP_URL: z.url({ protocol: /^https?$/ }).optional(),
    /** Unset: embedded PGlite under DATA_DIR. Set: a PostgreSQL connection string. */
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, "must be a postgresql:// connection string")
      .optional(),
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
    /** A JWKS of private keys, `{"keys":[...]}`; the first key signs, all of them verify. */
    AUTH_SIGNING_KEYS: z.string().min(1).optional(),
    /** "1" when a reverse proxy you control sets X-Forwarded-For / X-Forwarded-Proto. */
    TRUST_PROXY: z.enum(["0", "1"]).default("0"),
    /** "1" lets end-to-end tests move the server's clock per request (X-Test-Clock-Offset). */
    AUTH_TEST_CLOCK: z.enum(["0", "1"]).default("0"),
    /**
     * "1" turns on the inspector's scenario endpoints (/api/auth/dev/*): a genuinely expired
     * access token, a captured refresh token replayed as a thief would, a lost refresh answer.
     */
    AUTH_DEV_SCENARIOS: z.enum(["0", "1"]).default("0"),
  })
  .refine((env) => env.SESSION_IDLE_TIMEOUT_SECONDS <= env.SESSION_ABSOLUTE_TIMEOUT_SECONDS, {
    message: "SESSION_IDLE_TIMEOUT_SECONDS must not exceed SESSION_ABSOLUTE_TIMEOUT_SECONDS",
    path: ["SESSION_IDLE_TIMEOUT_SECONDS"],
  });

export type Env = z.infer<typeof envSchema> & {
  /** Absolute path of DATA_DIR. */
  dataDir: string;
  /** The origin tokens name as issuer and audience. */
  appUrl: string;
  /** True when APP_URL is an https origin on a non-loopback host. */
  isPublicDeployment: boolean;
};

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

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
  if (isPublicDeployment && !env.AUTH_SIGNING_KEYS) {
    throw new ConfigError(
      `APP_URL (${host}) declares a public deployment, but AUTH_SIGNING_KEYS is not set.\n` +
        "  Generate a key set with `npm run keys:generate` and pass its output as AUTH_SIGNING_KEYS.\n" +
        "  (Keys are generated automatically only for local runs.)",
    );
  }
  // Stricter than the other test switches: not only public deployments but any APP_URL a
  // machine other than this one could reach (an http staging host, a container name).
  if (env.AUTH_TEST_CLOCK === "1" && !LOOPBACK_HOSTS.has(hostname)) {
    throw new ConfigError(
      `AUTH_TEST_CLOCK=1 lets any client move the server's clock; it is refused unless APP_URL is a loopback address (localhost, 127.0.0.1, [::1]), and APP_URL is ${host}.`,
    );
  }
  if (isPublicDeployment && env.AUTH_DEV_SCENARIOS === "1") {
    throw new ConfigError(
      `AUTH_DEV_SCENARIOS=1 lets a signed-in user replay refresh tokens and mint expired access tokens; it is refused for a public deployment (APP_URL ${host}).`,
    );
  }
  return {
    ...env,
    dataDir: path.resolve(env.DATA_DIR),
    appUrl,
    isPublicDeployment,
  };
}

let cached: Env | undefined;

/** The validated configuration of this process. */
export function getEnv(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}

/** Tests change process.env between suites; this makes the next getEnv() re-read it. */
export function resetEnvForTests(): void {
  cached = undefined;
}
