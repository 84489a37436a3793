/**
 * `prisma generate`, made to work where Prisma's engine download is impossible.
 *
 * The Prisma CLI fetches a native schema-engine binary before it runs any
 * command, although `generate` itself never uses it. With internet access
 * that just works and this script only runs `prisma generate`. Where the
 * download fails (an offline or locked-down machine), it runs generate again
 * with PRISMA_SCHEMA_ENGINE_BINARY (Prisma's documented custom-engine
 * override) pointing at an existing file, and says so. See
 * docs/troubleshooting.md, "Problems and fixes".
 */
import { spawnSync } from "node:child_process";

function generate(extraEnv = {}) {
  return spawnSync("npx", ["prisma", "generate"], {
    env: { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: "1", ...extraEnv },
    encoding: "utf8",
  });
}

let result = generate();
const output = `${result.stdout}${result.stderr}`;
if (
  result.status !== 0 &&
  /ENOTFOUND|ECONNREFUSED|EAI_AGAIN|ETIMEDOUT|binaries\.prisma/.test(output)
) {
  console.warn(
    "[prisma-generate] Prisma could not download its schema engine (no network?). " +
      "`generate` does not need it: retrying with PRISMA_SCHEMA_ENGINE_BINARY set.",
  );
  result = generate({ PRISMA_SCHEMA_ENGINE_BINARY: process.execPath });
}
process.stdout.write(result.stdout ?? "");
process.stderr.write(result.stderr ?? "");
process.exit(result.status ?? 1);
