/**
 * Preloaded into one server of the deployment rows (NODE_OPTIONS `--import`, with
 * BENCH_NAMED_STATEMENTS=1; bench/setup.ts `namedStatementsEnv`): the app's hand-written
 * statements (lib/db/adapter.ts `SqlStatement`, sent unnamed on PostgreSQL so that they pass a
 * transaction-mode pooler) go as named prepared statements instead, as they did before issue 22,
 * so the bench can put "named" beside "unnamed" on a direct connection. Only the `next` process
 * is patched, and only queries shaped as the adapter's runner sends them (`{ text, values }`,
 * no name, no `rowMode`: Prisma's own queries ask for array rows). node-postgres prepares a named
 * statement once per connection and afterwards only binds and executes it.
 *
 * Each name's first use is written to the server's log (`bench-named-statement <name>`), so the
 * bench can check the patch took effect. Never used outside the benchmark.
 */
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import path from "node:path";

if (
  process.env.BENCH_NAMED_STATEMENTS === "1" &&
  /next[\\/]dist[\\/]bin[\\/]next$/.test(process.argv[1] ?? "")
) {
  const require = createRequire(path.join(process.cwd(), "package.json"));
  const pg = require("pg");
  const seen = new Set();
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (config, ...rest) {
    if (
      config &&
      typeof config === "object" &&
      typeof config.text === "string" &&
      Array.isArray(config.values) &&
      !config.name &&
      !config.rowMode
    ) {
      const name = `bench_${createHash("sha256").update(config.text).digest("hex").slice(0, 16)}`;
      if (!seen.has(name)) {
        seen.add(name);
        console.log(`bench-named-statement ${name} ${config.text.trim().split(/\s+/)[0]}`);
      }
      return query.call(this, { ...config, name }, ...rest);
    }
    return query.call(this, config, ...rest);
  };
}
