/**
 * CPU time per password verification, `argon2` (node-gyp binding of the reference C code)
 * against `@node-rs/argon2` (Rust, prebuilt), on the SAME encoded argon2id hash with the app's
 * parameters (19 MiB, t=2, p=1). CPU time (process.cpuUsage: user + system of every thread of
 * this process, libuv's pool included), not wall time: on a shared machine wall time measures
 * the wait for a core, not the work.
 *
 *   node scripts/measure-password-cpu.mjs [rounds=40]
 */
import os from "node:os";
import argon2 from "argon2";
import { hash as rsHash, verify as rsVerify, Algorithm } from "@node-rs/argon2";

const rounds = Number(process.argv[2] ?? 40);
const password = "correct horse battery staple";
const options = { memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 };

async function cpuPerCall(label, fn) {
  for (let i = 0; i < 3; i++) await fn(); // warm up (allocations, lazy loading)
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
    `${label.padEnd(34)} median ${median.toFixed(1)} ms CPU  (min ${samples[0].toFixed(1)}, max ${samples.at(-1).toFixed(1)}, n=${rounds})`,
  );
  return median;
}

const hashedByArgon2 = await argon2.hash(password, { type: argon2.argon2id, ...options });
const hashedByRs = await rsHash(password, { algorithm: Algorithm.Argon2id, ...options });
if (!(await rsVerify(hashedByArgon2, password)) || !(await argon2.verify(hashedByRs, password))) {
  throw new Error("the two libraries do not verify each other's hashes");
}
console.log(`load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}, ${os.availableParallelism()} cores`);
const a = await cpuPerCall("argon2 verify", () => argon2.verify(hashedByArgon2, password));
const b = await cpuPerCall("@node-rs/argon2 verify", () => rsVerify(hashedByArgon2, password));
await cpuPerCall("argon2 hash", () => argon2.hash(password, { type: argon2.argon2id, ...options }));
await cpuPerCall("@node-rs/argon2 hash", () => rsHash(password, { algorithm: Algorithm.Argon2id, ...options }));
console.log(`verify CPU ratio @node-rs/argon2 ÷ argon2 = ${(b / a).toFixed(2)}`);
