/**
 * Reads what `npm ci` printed and fails on any npm warning that the docs do not explain.
 *
 * A newcomer's first command is `npm ci` (or `npm install`); whatever it warns about, they will
 * wonder about. So every `npm warn …` line must be one of the few listed below, each of which
 * docs/troubleshooting.md explains. Anything else (a package with install scripts missing from
 * package.json's `allowScripts`, a deprecation, a peer conflict) fails CI until it is fixed or
 * explained there.
 *
 *   npm ci --no-audit --no-fund 2>&1 | tee npm-ci.log
 *   npx tsx scripts/check-install-output.ts npm-ci.log
 */
import fs from "node:fs";
import { fileURLToPath } from "node:url";

type ExplainedWarning = { code: string; mentions: string; explainedIn: string };
export type NpmWarning = { code: string; lines: string[] };

/**
 * The warnings a clean install may print, each with the troubleshooting entry that explains it.
 * Keep this list short: the better fix is always to make the warning go away.
 */
export const EXPLAINED_WARNINGS: readonly ExplainedWarning[] = [
  {
    // `prisma` → `@prisma/dev` → `@prisma/streams-local` wants Node 22; only `prisma dev` runs it.
    code: "EBADENGINE",
    mentions: "@prisma/streams-local",
    explainedIn: "docs/troubleshooting.md#nodejs",
  },
];

/**
 * Groups npm's warning lines into warnings (npm prints one warning over several lines that share
 * its code) and returns those no entry of EXPLAINED_WARNINGS covers.
 *
 * @example
 *   unexplainedWarnings("npm warn deprecated foo@1.0.0: use bar\n")
 *   // → [{ code: "deprecated", lines: ["npm warn deprecated foo@1.0.0: use bar"] }]
 */
export function unexplainedWarnings(output: string): NpmWarning[] {
  const warnings: NpmWarning[] = [];
  let current: NpmWarning | null = null;
  for (const line of output.split(/\r?\n/)) {
    // npm colours its output on a terminal; a log through `tee` has none, but strip it anyway.
    const plain = line.replace(/\u001b\[[0-9;]*m/g, "");
    const match = /^npm warn (\S+)/i.exec(plain);
    if (!match) {
      current = null;
      continue;
    }
    const code = match[1]!;
    // An EBADENGINE block starts with "Unsupported engine {" and continues under the same code;
    // install-scripts starts with "N packages have install scripts…". A new block is any line
    // whose code differs from the one before it, or an opening line of a block seen again.
    if (!current || current.code !== code || /Unsupported engine \{$/.test(plain)) {
      current = { code, lines: [] };
      warnings.push(current);
    }
    current.lines.push(plain);
  }
  return warnings.filter(
    (warning) =>
      !EXPLAINED_WARNINGS.some(
        (known) =>
          known.code === warning.code &&
          warning.lines.some((line) => line.includes(known.mentions)),
      ),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file) {
    console.error("usage: npx tsx scripts/check-install-output.ts <file with npm ci's output>");
    process.exit(2);
  }
  const left = unexplainedWarnings(fs.readFileSync(file, "utf8"));
  if (left.length === 0) {
    console.log("[install] npm printed no warning that docs/troubleshooting.md does not explain.");
    process.exit(0);
  }
  console.error(`[install] npm printed ${left.length} warning(s) nobody has explained:`);
  for (const warning of left) console.error(warning.lines.map((l) => `  ${l}`).join("\n"));
  console.error(
    "Fix the cause (for install scripts: review them, then `npm install-scripts approve <pkg>` " +
      "or `deny <pkg>`, which edits package.json's allowScripts), or explain the warning in " +
      "docs/troubleshooting.md and add it to EXPLAINED_WARNINGS in this script.",
  );
  process.exit(1);
}
