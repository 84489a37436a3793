/**
 * `npm run bench:deploy`: the deployment rows of `npm run bench` alone (bench/deployment.ts:
 * 10 k vs 2 M token rows, PgBouncer transaction mode vs direct, named vs unnamed statements, on
 * a private PostgreSQL cluster). Settings: BENCH_DEPLOY_PG_SETTINGS (the cluster's settings,
 * "name=value name=value"), BENCH_DEPLOY_ROUNDS (3), BENCH_DEPLOY_REFRESHES (1500
 * a round and server), BENCH_DEPLOY_LARGE_TOKENS (2 000 000), BENCH_DEPLOY_DIST (.next-bench;
 * built if missing), BENCH_PG_PORTS (the cluster's port range, 4390-4399), BENCH_PORTS (the
 * servers' and PgBouncer's, 4300-4389). Writes bench/out/deploy.md.
 */
import fs from "node:fs";
import path from "node:path";
import { buildApp } from "../scripts/app-server";
import { deploySettings, measureDeployment, renderDeployment } from "./deployment";
import { OUT_DIR, log } from "./setup";

const settings = deploySettings(process.env.BENCH_DEPLOY_DIST ?? ".next-bench");
if (!fs.existsSync(path.join(settings.distDir, "BUILD_ID"))) {
  log(`building the app into ${settings.distDir}`);
  buildApp(settings.distDir);
}
const text = renderDeployment(await measureDeployment(settings)).join("\n") + "\n";
fs.mkdirSync(OUT_DIR, { recursive: true });
fs.writeFileSync(path.join(OUT_DIR, "deploy.md"), text);
console.log(`\n${text}`);
