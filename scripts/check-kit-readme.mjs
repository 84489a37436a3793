/**
 * `npm run check:kit-readme`: follows packages/playwright-token-kit/README.md as a new reader
 * would, outside this repository. In a fresh temporary folder: `npm init`, the README's install
 * line (the kit by path, @playwright/test from the registry or npm's cache), the README's
 * `playwright.config.ts` and first test written as they are, examples/pocket-notes started by
 * the README's second line, then its third, `npx playwright test`. Exit code 0 when the first test is green.
 *
 * Only two things are substituted: `/path/to/` becomes this repository's folder, and the port
 * (KIT_README_PORT, default the README's 3381) where a run must not collide with another.
 * Set KIT_README_KEEP=1 to keep the folder for a look.
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const README = fs.readFileSync(path.join(ROOT, "packages/playwright-token-kit/README.md"), "utf8");
const README_PORT = "3381";
const port = process.env.KIT_README_PORT ?? README_PORT;

const fence = (lang) => [
  ...README.matchAll(new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\`$`, "gm")),
];
const [install, startApp, runTests] = fence("sh")[0]?.[1].split("\n") ?? [];
if (
  !install?.startsWith("npm install") ||
  !startApp?.endsWith("&") ||
  !runTests?.startsWith("npx playwright test")
) {
  throw new Error(
    "The README no longer starts with: npm install …, <start the app> &, npx playwright test.",
  );
}
const asHere = (line) =>
  line.replaceAll("/path/to/", `${ROOT}/`).replaceAll(`=${README_PORT}`, `=${port}`);
const files = fence("ts")
  .map((m) => m[1])
  .map((source) => ({ name: /^\/\/ (\S+)\n/.exec(source)?.[1], source }))
  .filter((f) => f.name);
if (
  !files.some((f) => f.name === "playwright.config.ts") ||
  !files.some((f) => f.name.endsWith(".spec.ts"))
) {
  throw new Error(
    "The README must hold `// playwright.config.ts` and a `// tests/*.spec.ts` block.",
  );
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kit-reader-"));
console.log(`A new reader's folder: ${dir}`);
const sh = (command, env = {}) => {
  console.log(`$ ${command}`);
  const result = spawnSync(command, {
    cwd: dir,
    shell: true,
    stdio: "inherit",
    env: { ...process.env, ...env },
  });
  if (result.status !== 0) throw new Error(`\`${command}\` exited with ${result.status}`);
};

let server;
let ok = false;
try {
  sh("npm init -y > /dev/null");
  sh(asHere(install), { npm_config_prefer_offline: "true" });
  for (const { name, source } of files) {
    fs.mkdirSync(path.join(dir, path.dirname(name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), source.replaceAll(`:${README_PORT}`, `:${port}`));
  }
  console.log(`$ ${asHere(startApp)}`);
  // Its own process group, so that stopping it stops the server the shell started.
  server = spawn("sh", ["-c", asHere(startApp).replace(/&$/, "")], {
    cwd: dir,
    detached: true,
    stdio: ["ignore", "inherit", "inherit"],
  });
  await waitForHealth(`http://127.0.0.1:${port}/health`);
  const chromium =
    process.env.E2E_CHROMIUM_PATH ||
    (fs.existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : "");
  sh(`${runTests} --reporter=list`, chromium ? { CHROMIUM_PATH: chromium } : {});
  ok = true;
} finally {
  if (server?.pid) process.kill(-server.pid);
  if (!process.env.KIT_README_KEEP) fs.rmSync(dir, { recursive: true, force: true });
}
console.log(ok ? "\nThe kit README's first test is green in a clean folder." : "");

async function waitForHealth(url) {
  for (let attempt = 0; attempt < 100; attempt++) {
    const up = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${url} did not answer`);
}
