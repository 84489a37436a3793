/**
 * Preloaded into a server by `npm run bench:focus` with FOCUS_PROFILE set (NODE_OPTIONS
 * `--import`; Node 20 refuses `--cpu-prof` there). SIGUSR2 starts V8's CPU profiler, the next
 * SIGUSR2 stops it and writes `<FOCUS_PROFILE>/<pid>-<n>.cpuprofile` (open it in Chrome's
 * DevTools, or summarise it with bench/profile-summary.ts). Only the `next` process is profiled.
 */
import fs from "node:fs";
import inspector from "node:inspector";
import path from "node:path";

const dir = process.env.FOCUS_PROFILE;
if (dir && /next[\\/]dist[\\/]bin[\\/]next$/.test(process.argv[1] ?? "")) {
  const session = new inspector.Session();
  session.connect();
  let running = false;
  let written = 0;
  process.on("SIGUSR2", () => {
    if (!running) {
      session.post("Profiler.enable", () =>
        session.post("Profiler.setSamplingInterval", { interval: 200 }, () =>
          session.post("Profiler.start", () => (running = true)),
        ),
      );
      return;
    }
    session.post("Profiler.stop", (error, result) => {
      running = false;
      if (error) return;
      fs.mkdirSync(dir, { recursive: true });
      written += 1;
      const file = path.join(dir, `${process.pid}-${written}.cpuprofile`);
      fs.writeFileSync(file, JSON.stringify(result.profile));
    });
  });
}
