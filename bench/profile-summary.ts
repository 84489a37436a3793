/**
 * Summarises a V8 CPU profile (`.cpuprofile`): self time by package and the top functions.
 *
 *   PROFILE_TOP=40 npx tsx bench/profile-summary.ts /tmp/prof/*.cpuprofile
 *
 * "Package" is the node_modules package a function's file belongs to, `node:` for Node's own
 * code, the file for the app's bundled chunks, and V8's pseudo-frames ((garbage collector),
 * (program), (idle)) as they are.
 */
import fs from "node:fs";

type Frame = { functionName: string; url: string; lineNumber: number };
type Node = { id: number; callFrame: Frame; children?: number[] };
type Profile = { nodes: Node[]; samples: number[]; timeDeltas: number[] };

function packageOf(frame: Frame): string {
  const url = frame.url;
  if (!url) return frame.functionName || "(anonymous native)";
  if (url.startsWith("node:")) return "node:";
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)(?!.*node_modules)/.exec(url);
  if (match) return match[1]!;
  const chunk = /\.next[^/]*\/(.*)$/.exec(url);
  return chunk ? `app: ${chunk[1]}` : url;
}

const files = process.argv.slice(2);
if (!files.length) throw new Error("usage: profile-summary.ts <file.cpuprofile>…");
const byPackage = new Map<string, number>();
const byFunction = new Map<string, number>();
let total = 0;
let busy = 0;
for (const file of files) {
  const profile = JSON.parse(fs.readFileSync(file, "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    const frame = byId.get(id)!.callFrame;
    total += delta;
    if (frame.functionName === "(idle)") return;
    busy += delta;
    const pkg = packageOf(frame);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + delta);
    const name = `${frame.functionName || "(anonymous)"} ${pkg}:${frame.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + delta);
  });
}
const show = (map: Map<string, number>, top: number) =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(
      ([k, t]) =>
        `${((t / busy) * 100).toFixed(1).padStart(5)}%  ${(t / 1000).toFixed(0).padStart(7)} ms  ${k}`,
    )
    .join("\n");
console.log(`busy ${(busy / 1000).toFixed(0)} ms of ${(total / 1000).toFixed(0)} ms sampled\n`);
console.log(`By package (self time):\n${show(byPackage, 30)}\n`);
console.log(
  `Top functions (self time):\n${show(byFunction, Number(process.env.PROFILE_TOP ?? 40))}`,
);
