/**
 * The benchmark's report: the table, the goals (each met or not against its
 * target), the memory table and the notes, as Markdown for the terminal,
 * bench/out/ and (with `-- --save`) bench/RESULTS.md.
 */
import type { Measurement } from "./measure";
import type { Machine, Settings } from "./setup";
import { type Goal, type Spread, formatLoad, formatSpread, judge } from "./stats";

export type Row = {
  what: string;
  server: string;
  /** Measured over HTTP; absent for in-process timings. */
  m?: Measurement;
  ratio?: Spread;
  /** The same ratio on requests per server CPU-second. */
  cpuRatio?: Spread;
  ratioTo?: string;
  /** 1-minute load averages seen while this row was measured. */
  load: readonly number[];
  note?: string;
};

export type GoalRow = Goal & { unit: string; load: readonly number[]; how: string };

export type MemoryRow = { server: string; peakMiB: number | null; processes: number };

export type Report = {
  machine: Machine;
  settings: Settings;
  loadAtStart: number[];
  loadAtEnd: number[];
  loadSamples: number[];
  rows: Row[];
  goals: GoalRow[];
  memory: MemoryRow[];
  findings: string[];
  rotationBreakdown: string[];
  /** The cookie curve's section (bench/cookie-flood.ts). */
  cookieCurve: string[];
  /** The deployment section (bench/deployment.ts). */
  deployment: string[];
};

const fmt = (n: number | undefined, digits = 0) =>
  n !== undefined && Number.isFinite(n) ? n.toFixed(digits) : "—";

function loadRange(load: readonly number[]): string {
  if (load.length === 0) return "—";
  const min = Math.min(...load);
  const max = Math.max(...load);
  return min === max ? fmt(min, 1) : `${fmt(min, 1)}–${fmt(max, 1)}`;
}

export function renderTable(rows: Row[]): string {
  return [
    "| Measurement | Server | Ratio, req/s | Ratio, req per server CPU-s | Ratio to | req/s | req per CPU-s | p50 ms | p99 ms | Errors / non-2xx | Load (1 min) | Notes |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map((r) =>
      [
        "",
        r.what,
        r.server,
        formatSpread(r.ratio),
        formatSpread(r.cpuRatio),
        r.ratioTo ?? "—",
        fmt(r.m?.rps),
        fmt(r.m?.perCpuSecond),
        fmt(r.m?.p50, 1),
        fmt(r.m?.p99, 1),
        r.m ? `${r.m.errors} / ${r.m.non2xx}${statusList(r.m.statuses)}` : "—",
        loadRange(r.load),
        r.note ?? "",
        "",
      ].join(" | "),
    ),
  ]
    .join("\n")
    .replace(/^ \| /gm, "| ")
    .replace(/ \| $/gm, " |");
}

export function renderGoals(goals: GoalRow[]): string {
  return [
    "| Goal | Target | This run | Load (1 min) | Verdict | How measured |",
    "| --- | --- | --- | --- | --- | --- |",
    ...goals.map((g) => {
      const verdict = judge(g);
      const digits = g.unit === "MiB" || g.unit === "statements" ? 1 : 2;
      return `| ${g.name} | ${g.direction === "atLeast" ? "≥" : "≤"} ${g.target} ${g.unit} | ${g.figure === null ? "—" : fmt(g.figure, digits)} ${g.figure === null ? "" : g.unit} | ${loadRange(g.load)} | ${verdict === "met" ? "**met**" : verdict} | ${g.how} |`;
    }),
  ].join("\n");
}

export function renderMemory(memory: MemoryRow[]): string {
  return [
    "| Server | Peak RSS of its process tree (MiB) | Processes |",
    "| --- | --- | --- |",
    ...memory.map((m) => `| ${m.server} | ${fmt(m.peakMiB ?? NaN)} | ${m.processes} |`),
  ].join("\n");
}

/** The terminal's view: the load, goals, the table, memory and the deployment rows. */
export function renderSummary(report: Report): string {
  return [
    `Load average ${formatLoad(report.loadAtStart)} (1 / 5 / 15 min) at the start, ${formatLoad(report.loadAtEnd)} at the end; the 1-minute load ranged ${loadRange(report.loadSamples)} over the measurements (${report.machine.cores} cores).`,
    "",
    renderGoals(report.goals),
    "",
    renderTable(report.rows),
    "",
    renderMemory(report.memory),
    "",
    ...report.deployment,
  ].join("\n");
}

/** The whole of RESULTS.md. */
export function renderFull(report: Report): string {
  const m = report.machine;
  const s = report.settings;
  const samples = report.loadSamples;
  // The bench's own server and load generator keep about two cores busy, so a load up to the
  // core count plus one is the bench itself; above that, other work was running. (The load at
  // the start lags: it still counts whatever ran in the minute before, the bench's builds too.)
  const busy = Math.max(...samples) > m.cores + 1;
  return [
    "# Benchmark results",
    "",
    `- Date: ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`,
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}`,
    `- Noise: load average ${formatLoad(report.loadAtStart)} (1 / 5 / 15 min) at the start, ${formatLoad(report.loadAtEnd)} at the end; the 1-minute load ranged ${loadRange(samples)} over the measurements (${m.cores} cores).${busy ? " **Busy**: other work was running on this shared machine, so read the CPU-normalised ratios and the in-process CPU timings; the throughput figures mostly measure waiting for a core." : " **Quiet**: the load is the bench's own (its servers and the load generator)."}`,
    `- Settings: ${s.connections} connections; ${s.rounds} interleaved rounds of ${s.seconds} s for the protected-route ratios; ${s.refreshRounds} interleaved rounds of baseline then refresh (${s.longSeconds} s each) per database; each ratio is the median over rounds with its range`,
    "- Reproduce: `npm run bench` (add `-- --save` to rewrite this file). How it works and what each row means: [docs/benchmark.md](../docs/benchmark.md).",
    "",
    "Quote the ratios, not the requests per second: absolute numbers move with the machine and whatever else runs on it. Per server CPU-second means requests divided by the CPU time of the server's process tree (all threads); waiting for a core another program holds costs no CPU time, so on a busy machine that ratio is the one to trust.",
    "",
    "## Goals",
    "",
    renderGoals(report.goals),
    "",
    "## Measurements",
    "",
    renderTable(report.rows),
    "",
    "## Memory",
    "",
    renderMemory(report.memory),
    "",
    "## Cookies per request",
    "",
    ...report.cookieCurve,
    "",
    "## Deployment: table size, PgBouncer, named statements",
    "",
    ...report.deployment,
    "",
    "## Where a rotation's time goes",
    "",
    ...report.rotationBreakdown,
    "",
    "## What the numbers say",
    "",
    ...report.findings,
    "",
  ].join("\n");
}

/** " (503 × 4, 429 × 1)" for the answers that were not 2xx, or nothing. */
function statusList(statuses: Record<string, number>): string {
  const parts = Object.entries(statuses).map(([code, count]) => `${code} × ${count}`);
  return parts.length ? ` (${parts.join(", ")})` : "";
}
