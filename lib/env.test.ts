import { describe, expect, it } from "vitest";
import { ConfigError, configurationWarnings, parseEnv } from "@/lib/env";

describe("parseEnv", () => {
  it("gives a local run safe defaults", () => {
    const env = parseEnv({});
    expect(env).toMatchObject({
      ACCESS_TOKEN_TTL_SECONDS: 300,
      REFRESH_GRACE_SECONDS: 300,
      SESSION_IDLE_TIMEOUT_SECONDS: 604_800,
      SESSION_ABSOLUTE_TIMEOUT_SECONDS: 2_592_000,
      PORT: 3000,
      appUrl: "http://localhost:3000",
      HOST: "127.0.0.1",
      isPublicDeployment: false,
      isLocal: true,
      AUTH_DEV_SCENARIOS: "auto",
      devScenariosEnabled: true,
    });
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.dataDir).toMatch(/\.data$/);
  });

  it("treats empty strings as unset", () => {
    expect(
      parseEnv({ DATABASE_URL: "", ACCESS_TOKEN_TTL_SECONDS: "" }).ACCESS_TOKEN_TTL_SECONDS,
    ).toBe(300);
  });

  it("refuses a public deployment without signing keys, saying what to set", () => {
    expect(() => parseEnv({ APP_URL: "https://auth.example.com" })).toThrow(ConfigError);
    expect(() => parseEnv({ APP_URL: "https://auth.example.com" })).toThrow(/AUTH_SIGNING_KEYS/);
    const env = parseEnv({ APP_URL: "https://auth.example.com/", AUTH_SIGNING_KEYS: "{}" });
    expect(env.isPublicDeployment).toBe(true);
    expect(env.appUrl).toBe("https://auth.example.com");
  });

  it("does not treat https on loopback as public", () => {
    expect(parseEnv({ APP_URL: "https://localhost:8443" }).isPublicDeployment).toBe(false);
  });

  it("names every invalid variable in one error", () => {
    let message = "";
    try {
      parseEnv({ ACCESS_TOKEN_TTL_SECONDS: "-5", DATABASE_URL: "mysql://x", PORT: "http" });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/ACCESS_TOKEN_TTL_SECONDS/);
    expect(message).toMatch(/DATABASE_URL/);
    expect(message).toMatch(/PORT/);
  });

  it("refuses an idle timeout longer than the absolute lifetime", () => {
    expect(() =>
      parseEnv({ SESSION_IDLE_TIMEOUT_SECONDS: "100", SESSION_ABSOLUTE_TIMEOUT_SECONDS: "50" }),
    ).toThrow(/must not exceed/);
  });

  it.each([
    [{}, true],
    [{ HOST: "localhost" }, true],
    [{ HOST: "::1" }, true],
    [{ HOST: "127.0.0.2" }, true],
    [{ HOST: "0.0.0.0" }, false],
    [{ HOST: "192.168.1.20" }, false],
    [{ APP_URL: "http://localhost:3000", HOST: "0.0.0.0" }, false],
    [{ APP_URL: "http://127.0.0.1:3000", HOST: "192.168.1.20" }, false],
    [{ APP_URL: "http://localhost:3000", HOST: "127.0.0.1" }, true],
    [{ APP_URL: "http://[::1]:3000" }, true],
    [{ APP_URL: "http://app:3000" }, false],
    [{ APP_URL: "https://auth.example.com", AUTH_SIGNING_KEYS: "{}" }, false],
  ])(
    "isLocal for %j is %s (a loopback HOST, and a loopback APP_URL when set)",
    (source, expected) => {
      expect(parseEnv(source).isLocal).toBe(expected);
    },
  );

  it.each(["AUTH_DEV_SCENARIOS", "AUTH_TEST_CLOCK"])(
    "%s=1 is refused at start on HOST=0.0.0.0 even with a loopback APP_URL, naming HOST",
    (flag) => {
      const source = { APP_URL: "http://localhost:3000", HOST: "0.0.0.0", [flag]: "1" };
      expect(() => parseEnv(source)).toThrow(ConfigError);
      expect(() => parseEnv(source)).toThrow(/HOST is 0\.0\.0\.0/);
      expect(parseEnv({ ...source, [flag]: undefined }).devScenariosEnabled).toBe(false);
    },
  );
});

describe("database bounds", () => {
  it("defaults every wait to a few seconds", () => {
    expect(parseEnv({})).toMatchObject({
      DB_POOL_SIZE: 10,
      DB_CONNECT_TIMEOUT_MS: 5_000,
      DB_STATEMENT_TIMEOUT_MS: 5_000,
      DB_LOCK_TIMEOUT_MS: 3_000,
      DB_IDLE_TRANSACTION_TIMEOUT_MS: 10_000,
      DB_TRANSACTION_MAX_WAIT_MS: 5_000,
      DB_TRANSACTION_TIMEOUT_MS: 10_000,
      SHUTDOWN_TIMEOUT_MS: 8_000,
    });
  });

  it("refuses a wait that is not a bound, naming the variable", () => {
    expect(() => parseEnv({ DB_LOCK_TIMEOUT_MS: "0" })).toThrow(/DB_LOCK_TIMEOUT_MS/);
    expect(() => parseEnv({ DB_CONNECT_TIMEOUT_MS: "soon" })).toThrow(/DB_CONNECT_TIMEOUT_MS/);
    expect(() => parseEnv({ SHUTDOWN_TIMEOUT_MS: "99999999" })).toThrow(/SHUTDOWN_TIMEOUT_MS/);
  });

  it("refuses a statement bound longer than the transaction bound", () => {
    expect(() =>
      parseEnv({ DB_STATEMENT_TIMEOUT_MS: "20000", DB_TRANSACTION_TIMEOUT_MS: "10000" }),
    ).toThrow(/DB_STATEMENT_TIMEOUT_MS must not exceed DB_TRANSACTION_TIMEOUT_MS/);
  });
});

describe("THROTTLE_IPV6_PREFIX", () => {
  it("is 64 by default and takes any prefix from 32 to 128", () => {
    expect(parseEnv({}).THROTTLE_IPV6_PREFIX).toBe(64);
    expect(parseEnv({ THROTTLE_IPV6_PREFIX: "48" }).THROTTLE_IPV6_PREFIX).toBe(48);
    expect(parseEnv({ THROTTLE_IPV6_PREFIX: "128" }).THROTTLE_IPV6_PREFIX).toBe(128);
  });

  it.each(["16", "129", "64.5", "/64"])("refuses %s, naming the variable", (value) => {
    expect(() => parseEnv({ THROTTLE_IPV6_PREFIX: value })).toThrow(/THROTTLE_IPV6_PREFIX/);
  });
});

describe("start-up advice names this server's PORT (issue 27)", () => {
  it("the production refusal without APP_URL suggests APP_URL with PORT, not 3000", () => {
    expect(() => parseEnv({ NODE_ENV: "production", PORT: "3302" })).toThrow(
      /for a local run: APP_URL=http:\/\/localhost:3302\)/,
    );
  });

  it.each([
    [{ PORT: "3302", APP_URL: "http://localhost:3000" }, [3000, 3302]],
    [{ PORT: "3302", APP_URL: "http://127.0.0.1" }, [80, 3302]],
    [{ PORT: "8443", APP_URL: "https://[::1]" }, [443, 8443]],
  ])("warns for %j, naming both ports", (source, [appPort, port]) => {
    const warnings = configurationWarnings(parseEnv(source));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`(port ${appPort}), but this server listens on PORT ${port}`);
    expect(warnings[0]).toContain(`:${port}`);
  });

  it.each([
    { PORT: "3302", APP_URL: "http://localhost:3302" },
    { PORT: "3302" },
    { PORT: "3000", APP_URL: "http://localhost:8080", TRUST_PROXY: "1" },
    { PORT: "3000", APP_URL: "https://auth.example.com", AUTH_SIGNING_KEYS: "{}" },
    { PORT: "3000", APP_URL: "http://app.internal:8080" },
  ])("says nothing for %j", (source) => {
    expect(configurationWarnings(parseEnv(source))).toEqual([]);
  });
});
