/**
 * The kit's promise to people who copy it (e2e/README.md): everything it knows about this app is
 * in e2e/kit/app.ts. Every other kit module imports only Node, @playwright/test and its siblings,
 * and names no path of this app; so copying e2e/kit/ and rewriting app.ts is the whole job.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const KIT_DIR = path.join(process.cwd(), "e2e/kit");
const ADAPTER = "app.ts";
const modules = fs
  .readdirSync(KIT_DIR)
  .filter((name) => name.endsWith(".ts") && name !== ADAPTER)
  .sort();

/** Code without comments, so documentation may name examples. */
function code(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

function importsOf(source: string): string[] {
  return [...source.matchAll(/\bfrom\s+"([^"]+)"/g)].map((match) => match[1]!);
}

describe("e2e/kit", () => {
  it("has the modules the README lists", () => {
    expect(modules).toEqual([
      "auth-network.ts",
      "fixtures.ts",
      "helpers.ts",
      "time-control.ts",
      "worker-session.ts",
    ]);
  });

  it.each(modules)("%s imports only node:, @playwright/test and the kit itself", (name) => {
    const source = fs.readFileSync(path.join(KIT_DIR, name), "utf8");
    const foreign = importsOf(source).filter(
      (from) =>
        !from.startsWith("node:") && from !== "@playwright/test" && !/^\.\/[\w-]+$/.test(from),
    );
    expect(foreign).toEqual([]);
  });

  it.each(modules)("%s names no path, cookie or header of this app outside comments", (name) => {
    const source = code(fs.readFileSync(path.join(KIT_DIR, name), "utf8"));
    expect(source).not.toMatch(/["'`]\/(api|dashboard|login|register|sessions)\b/);
    expect(source).not.toMatch(/refresh_token|session_hint|x-test-clock-offset/);
  });
});
