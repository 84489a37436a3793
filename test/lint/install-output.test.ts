/**
 * A clean `npm ci` prints nothing a newcomer has to wonder about (issue 27, item 6).
 *
 * npm 11 runs a dependency's install scripts only with a notice unless package.json's
 * `allowScripts` names the package; the lockfile marks each such package `hasInstallScript`.
 * .ci/run feeds the real `npm ci` output to scripts/check-install-output.mjs; these tests pin
 * both halves without running an install.
 */
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { EXPLAINED_WARNINGS, unexplainedWarnings } from "@/scripts/check-install-output";

const read = (path: string) => fs.readFileSync(new URL(path, import.meta.url), "utf8");
const manifest = JSON.parse(read("../../package.json")) as {
  allowScripts?: Record<string, boolean>;
};
const lock = JSON.parse(read("../../package-lock.json")) as {
  packages: Record<string, { hasInstallScript?: boolean; version?: string }>;
};

describe("install scripts", () => {
  it("every dependency with install scripts is approved or denied in package.json's allowScripts", () => {
    const withScripts = Object.keys(lock.packages)
      .filter((path) => path !== "" && lock.packages[path]!.hasInstallScript)
      .map((path) => path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length));
    expect(withScripts.length).toBeGreaterThan(0);
    // Name-only keys: this lockfile records no `resolved` URLs, and npm pins `pkg@version`
    // entries only against one (see docs/troubleshooting.md, "Install scripts").
    const covered = Object.keys(manifest.allowScripts ?? {});
    expect(withScripts.filter((name) => !covered.includes(name))).toEqual([]);
  });

  it("the native engine download is denied: the Rust-free client and the WASM engine need none", () => {
    expect(manifest.allowScripts?.["@prisma/engines"]).toBe(false);
  });
});

describe("scripts/check-install-output.mjs", () => {
  it("passes npm ci's output on this project: only the EBADENGINE warning the docs explain", () => {
    const clean = read("fixtures/npm-ci-clean.log");
    expect(clean).toContain("npm warn EBADENGINE");
    expect(unexplainedWarnings(clean)).toEqual([]);
  });

  it("fails npm ci's output from before allowScripts, naming the three packages", () => {
    const left = unexplainedWarnings(read("fixtures/npm-ci-before-allow-scripts.log"));
    expect(left.map((w) => w.code)).toEqual(["install-scripts"]);
    const text = left[0]!.lines.join("\n");
    for (const name of ["@prisma/engines@7.10.0", "esbuild@0.28.2", "prisma@7.10.0"]) {
      expect(text).toContain(name);
    }
  });

  it("fails a warning it does not know, and an EBADENGINE for another package", () => {
    const output = [
      "npm warn deprecated inflight@1.0.6: This module is not supported",
      "npm warn EBADENGINE Unsupported engine {",
      "npm warn EBADENGINE   package: 'other@1.0.0',",
      "npm warn EBADENGINE }",
      "npm warn EBADENGINE Unsupported engine {",
      "npm warn EBADENGINE   package: '@prisma/streams-local@0.1.11',",
      "npm warn EBADENGINE }",
    ].join("\n");
    expect(unexplainedWarnings(output).map((w) => w.lines[1] ?? w.lines[0])).toEqual([
      "npm warn deprecated inflight@1.0.6: This module is not supported",
      "npm warn EBADENGINE   package: 'other@1.0.0',",
    ]);
  });

  it("each explained warning points at a troubleshooting entry that exists and names it", () => {
    const docs = read("../../docs/troubleshooting.md");
    for (const known of EXPLAINED_WARNINGS) {
      expect(known.explainedIn.startsWith("docs/troubleshooting.md#")).toBe(true);
      expect(docs).toContain(known.code);
      expect(docs).toContain(known.mentions);
    }
  });
});
