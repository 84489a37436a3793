/**
 * A private PostgreSQL cluster for fault tests that restart or kill the database: `initdb` in
 * a temporary folder, run as the `postgres` user on its own port, removed afterwards. The
 * machine's own server is never touched.
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

const BIN_ROOT = "/usr/lib/postgresql";

function findBinDir(): string {
  const versions = fs.existsSync(BIN_ROOT) ? fs.readdirSync(BIN_ROOT).sort().reverse() : [];
  for (const version of versions) {
    const dir = path.join(BIN_ROOT, version, "bin");
    if (fs.existsSync(path.join(dir, "pg_ctl"))) return dir;
  }
  throw new Error(`No PostgreSQL server binaries under ${BIN_ROOT}`);
}

function asPostgres(binary: string, args: string[]): string {
  const result = spawnSync("runuser", ["-u", "postgres", "--", binary, ...args], {
    encoding: "utf8",
  });
  if (result.status !== 0) {
    throw new Error(
      `${path.basename(binary)} failed (${result.status}):\n${result.stdout}${result.stderr}`,
    );
  }
  return result.stdout;
}

/**
 * The same, without blocking the event loop: the load keeps running while the database
 * restarts. IMPORTANT: every pg_ctl call that starts a server passes `-l`, so the server does
 * not inherit (and hold open) the pipes we wait on.
 */
function asPostgresAsync(binary: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("runuser", ["-u", "postgres", "--", binary, ...args], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let errors = "";
    child.stderr.on("data", (chunk: Buffer) => (errors += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${path.basename(binary)} failed (${code}): ${errors}`)),
    );
  });
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

export type PrivateCluster = {
  port: number;
  url: string;
  /** `pg_ctl restart -m fast`: connections are cut, the server comes back. */
  restart: () => Promise<void>;
  /** SIGKILL to the postmaster, then start it again once its children have gone (crash recovery). */
  killPostmasterAndStart: () => Promise<void>;
  remove: () => void;
};

/**
 * Creates and starts a cluster on the first free port in [first, last], with `settings` as extra
 * `-c name=value` options (the bench's BENCH_DEPLOY_PG_SETTINGS).
 *
 * @example
 * const cluster = await startPrivateCluster(55440, 55449);
 * // … cluster.url …
 * cluster.remove();
 */
export async function startPrivateCluster(
  first: number,
  last: number,
  settings: Record<string, string> = {},
): Promise<PrivateCluster> {
  const bin = findBinDir();
  let port = 0;
  for (let candidate = first; candidate <= last; candidate++) {
    if (await isPortFree(candidate)) {
      port = candidate;
      break;
    }
  }
  if (!port) throw new Error(`No free port in ${first}–${last} for a private PostgreSQL`);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "jwt-faults-pg-"));
  fs.chmodSync(root, 0o755);
  spawnSync("chown", ["postgres", root]);
  const data = path.join(root, "data");
  asPostgres(path.join(bin, "initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]);
  const pgCtl = path.join(bin, "pg_ctl");
  const extra = Object.entries(settings).map(([name, value]) => ` -c ${name}=${value}`);
  const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60${extra.join("")}`;
  const log = path.join(root, "server.log");
  asPostgres(pgCtl, ["-D", data, "-o", options, "-l", log, "-w", "start"]);
  const start = () => asPostgresAsync(pgCtl, ["-D", data, "-o", options, "-l", log, "-w", "start"]);
  return {
    port,
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    restart: () =>
      asPostgresAsync(pgCtl, ["-D", data, "-o", options, "-l", log, "-m", "fast", "-w", "restart"]),
    killPostmasterAndStart: async () => {
      const pid = Number(fs.readFileSync(path.join(data, "postmaster.pid"), "utf8").split("\n")[0]);
      process.kill(pid, "SIGKILL");
      // The backends notice their postmaster died and exit; until they have, a new postmaster
      // refuses to start (their shared memory is still attached).
      for (let attempt = 0; ; attempt++) {
        try {
          await start();
          return;
        } catch (error) {
          if (attempt >= 50) throw error;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
    },
    remove: () => {
      spawnSync("runuser", ["-u", "postgres", "--", pgCtl, "-D", data, "-m", "immediate", "stop"]);
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
