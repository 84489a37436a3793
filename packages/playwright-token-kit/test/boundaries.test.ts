/**
 * The package's promise to the apps that install it: it imports only Node, @playwright/test and
 * its own modules, and names no path, cookie or header of any app (the two in this repository
 * reach it through their adapters). `package.json` exports what the README says.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const PACKAGE_DIR = path.join(process.cwd(), "packages/playwright-token-kit");
const SRC_DIR = path.join(PACKAGE_DIR, "src");
const modules = fs
  .readdirSync(SRC_DIR)
  .filter((name) => name.endsWith(".ts"))
  .sort();

/** Code without comments, so documentation may name examples. */
function code(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

function importsOf(source: string): string[] {
  return [...source.matchAll(/\bfrom\s+"([^"]+)"/g)].map((match) => match[1]!);
}

describe("playwright-token-kit", () => {
  it("has the modules its README describes", () => {
    expect(modules).toEqual([
      "adapter.ts",
      "auth-network.ts",
      "contract.ts",
      "fixtures.ts",
      "helpers.ts",
      "index.ts",
      "jwt.ts",
      "matchers.ts",
      "time-control.ts",
      "worker-session.ts",
    ]);
  });

  it.each(modules)("%s imports only node:, @playwright/test and the package itself", (name) => {
    const source = code(fs.readFileSync(path.join(SRC_DIR, name), "utf8"));
    const foreign = importsOf(source).filter(
      (from) =>
        !from.startsWith("node:") && from !== "@playwright/test" && !/^\.\/[\w-]+\.js$/.test(from),
    );
    expect(foreign).toEqual([]);
  });

  it.each(modules)("%s names no path, cookie or header of either app outside comments", (name) => {
    const source = code(fs.readFileSync(path.join(SRC_DIR, name), "utf8"));
    expect(source).not.toMatch(/["'`]\/(api|auth|dashboard|login|register|sessions)\b/);
    expect(source).not.toMatch(/refresh_token|session_hint|x-test-clock-offset|pn_rt/);
  });

  it("declares @playwright/test as a peer, not a dependency, and exports built files with types", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(PACKAGE_DIR, "package.json"), "utf8"));
    expect(pkg.peerDependencies).toHaveProperty("@playwright/test");
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(pkg.exports["."]).toEqual({ types: "./dist/index.d.ts", default: "./dist/index.js" });
    expect(pkg.exports["./contract"]).toEqual({
      types: "./dist/contract.d.ts",
      default: "./dist/contract.js",
    });
  });
});
