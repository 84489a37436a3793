/**
 * CPU time per password hash and verification with the app's argon2id parameters (19 MiB,
 * t=2, p=1), measured with process.cpuUsage (user + system time of every thread of this
 * process, the native libraries' worker threads included), not wall time: on a shared machine
 * wall time measures the wait for a core, not the work.
 *
 *   node scripts/measure-password-cpu.mjs [rounds=40]
 *
 * With the `argon2` package installed beside it (`npm install --no-save argon2@0.45.1`, the
 * library this app used before), it measures that one too, on the same encoded hash, and
 * prints the ratio.
 */
import os from "node:os";
import { hash as rsHash, verify as rsVerify } from "@node-rs/argon2";

const rounds = Number(process.argv[2] ?? 40);
const password = "correct horse battery staple";
const options = { memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 };

async function cpuPerCall(label, fn) {
  for (let i = 0; i < 3; i++) await fn(); // warm up
  const samples = [];
  for (let i = 0; i < rounds; i++) {
    const before = process.cpuUsage();
    await fn();
    const used = process.cpuUsage(before);
    samples.push((used.user + used.system) / 1000);
  }
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)];
  console.log(
    `${label.padEnd(26)} median ${median.toFixed(1)} ms CPU  (min ${samples[0].toFixed(1)}, max ${samples.at(-1).toFixed(1)}, n=${rounds})`,
  );
  return median;
}

let argon2 = null;
try {
  argon2 = (await import("argon2")).default;
} catch {
  console.log("(`argon2` not installed: measuring @node-rs/argon2 only)");
}

console.log(
  `load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}, ${os.availableParallelism()} cores, Node ${process.version}`,
);
const stored = await rsHash(password, options);
const rsVerifyMs = await cpuPerCall("@node-rs/argon2 verify", () => rsVerify(stored, password));
await cpuPerCall("@node-rs/argon2 hash", () => rsHash(password, options));
if (argon2) {
  if (!(await argon2.verify(stored, password))) throw new Error("argon2 cannot verify the hash");
  const oldMs = await cpuPerCall("argon2 verify", () => argon2.verify(stored, password));
  await cpuPerCall("argon2 hash", () =>
    argon2.hash(password, { type: argon2.argon2id, ...options }),
  );
  console.log(`verify CPU: @node-rs/argon2 ÷ argon2 = ${(rsVerifyMs / oldMs).toFixed(2)}`);
}
console.log(
  `login bound: ${os.availableParallelism()} cores ÷ ${rsVerifyMs.toFixed(1)} ms = ${((os.availableParallelism() * 1000) / rsVerifyMs).toFixed(0)} verifications/s`,
);
