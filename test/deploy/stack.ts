/**
 * The operators' parts of the deployment rig, started from the files an operator copies
 * (deploy/pgbouncer.ini, deploy/nginx.conf) with only ports and file paths substituted: PgBouncer
 * (Debian's 1.18) and nginx (Debian's 1.22), each in its own temporary folder on loopback, run
 * as the `postgres` user (PgBouncer refuses to run as root) or as a plain foreground process.
 * Nothing of the machine's own services is touched.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { PROJECT_ROOT } from "@/scripts/app-server";

const DEPLOY_DIR = path.join(PROJECT_ROOT, "deploy");

/** Replaces exactly one match of `pattern`, so a changed template fails loudly instead of silently. */
function substitute(text: string, pattern: RegExp, replacement: string): string {
  const matches = text.match(new RegExp(pattern.source, pattern.flags.replace("g", "") + "g"));
  if (!matches || matches.length === 0) throw new Error(`template no longer matches ${pattern}`);
  return text.replace(
    new RegExp(pattern.source, pattern.flags.replace("g", "") + "g"),
    replacement,
  );
}

export function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve();
      });
      socket.once("error", () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listens on ${port}`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

export type PgBouncer = {
  port: number;
  /** The app's pool (transaction mode), for DATABASE_URL. */
  url: string;
  /** The listener's pool (session mode), for DATABASE_LISTEN_URL. */
  listenUrl: string;
  /**
   * SIGTERM (what `systemctl restart pgbouncer` sends: every client connection is cut), then a
   * fresh start on the same port. Not SIGINT's "safe shutdown": its PAUSE waits for every
   * session-mode client (the revocation listeners) to leave, which they never do.
   */
  restart: () => Promise<void>;
  remove: () => void;
  /** The running PgBouncer's process id (the benchmark reads its CPU). */
  pid: () => number;
  configText: string;
};

/**
 * Starts PgBouncer from deploy/pgbouncer.ini in front of a PostgreSQL on `upstreamPort`, its
 * `jwt` database renamed to `database`.
 */
export async function startPgBouncer(options: {
  port: number;
  upstreamPort: number;
  database: string;
}): Promise<PgBouncer> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "jwt-deploy-pgbouncer-"));
  fs.chmodSync(root, 0o755);
  let text = fs.readFileSync(path.join(DEPLOY_DIR, "pgbouncer.ini"), "utf8");
  text = substitute(text, /port=5432/, `port=${options.upstreamPort}`);
  text = substitute(text, /dbname=jwt\b/, `dbname=${options.database}`);
  text = substitute(text, /^listen_port = 6432$/m, `listen_port = ${options.port}`);
  text = substitute(text, /^logfile = .*$/m, `logfile = ${root}/pgbouncer.log`);
  text = substitute(text, /^pidfile = .*$/m, `pidfile = ${root}/pgbouncer.pid`);
  text = substitute(text, /^auth_file = .*$/m, `auth_file = ${root}/userlist.txt`);
  const config = path.join(root, "pgbouncer.ini");
  fs.writeFileSync(config, text);
  fs.writeFileSync(path.join(root, "userlist.txt"), '"postgres" ""\n');
  spawnSync("chown", ["-R", "postgres", root]);
  const pidFile = path.join(root, "pgbouncer.pid");
  const start = async () => {
    const result = spawnSync("runuser", ["-u", "postgres", "--", "pgbouncer", "-d", config], {
      encoding: "utf8",
    });
    if (result.status !== 0) {
      throw new Error(`pgbouncer failed to start: ${result.stdout}${result.stderr}`);
    }
    await waitForPort(options.port);
  };
  const readPid = () => Number(fs.readFileSync(pidFile, "utf8").trim());
  const stop = async (signal: NodeJS.Signals) => {
    let pid: number;
    try {
      pid = readPid();
    } catch {
      return;
    }
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    for (let i = 0; i < 200; i++) {
      try {
        process.kill(pid, 0);
      } catch {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    process.kill(pid, "SIGKILL");
    fs.rmSync(pidFile, { force: true });
  };
  await start();
  const base = `postgresql://postgres@127.0.0.1:${options.port}`;
  return {
    port: options.port,
    url: `${base}/jwt`,
    listenUrl: `${base}/jwt_listen`,
    configText: text,
    pid: readPid,
    restart: async () => {
      await stop("SIGTERM");
      await start();
    },
    remove: () => {
      try {
        process.kill(readPid(), "SIGKILL");
      } catch {
        // already gone
      }
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

export type Nginx = { url: string; remove: () => Promise<void>; root: string };

/** Starts nginx in the foreground from deploy/nginx.conf, listening on `port`, in front of `upstreams`. */
export async function startNginx(options: { port: number; upstreams: number[] }): Promise<Nginx> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "jwt-deploy-nginx-"));
  for (const dir of ["logs", "tmp"]) fs.mkdirSync(path.join(root, dir));
  let text = fs.readFileSync(path.join(DEPLOY_DIR, "nginx.conf"), "utf8");
  text = substitute(text, /listen 127\.0\.0\.1:8080;/, `listen 127.0.0.1:${options.port};`);
  const servers = text.match(/^ *server 127\.0\.0\.1:300\d .*$/gm) ?? [];
  if (servers.length !== options.upstreams.length) {
    throw new Error(
      `deploy/nginx.conf names ${servers.length} upstreams, the rig runs ${options.upstreams.length}`,
    );
  }
  servers.forEach((line, i) => {
    text = text.replace(
      line,
      line.replace(/127\.0\.0\.1:300\d/, `127.0.0.1:${options.upstreams[i]}`),
    );
  });
  // Foreground, and as the current user: no master daemonising away from our child handle.
  text = `daemon off;\n${text}`.replace(/^worker_processes .*$/m, "worker_processes 1;");
  if (process.getuid?.() === 0) text = `user root;\n${text}`;
  const config = path.join(root, "nginx.conf");
  fs.writeFileSync(config, text);
  const child: ChildProcess = spawn("nginx", ["-c", config, "-p", root], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let errors = "";
  child.stderr?.on("data", (chunk: Buffer) => (errors += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    await waitForPort(options.port);
  } catch (error) {
    child.kill("SIGKILL");
    throw new Error(
      `nginx did not start: ${errors}${readSafe(path.join(root, "logs/error.log"))}`,
      {
        cause: error,
      },
    );
  }
  return {
    url: `http://127.0.0.1:${options.port}`,
    root,
    remove: async () => {
      child.kill("SIGQUIT");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

function readSafe(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return "";
  }
}
