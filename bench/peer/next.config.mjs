/**
 * The peer app: the same Next.js version and the same response headers as the
 * main app (its next.config.js), so the only difference the benchmark sees is
 * the session check itself.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import mainConfig from "../../next.config.js";

const here = path.dirname(fileURLToPath(import.meta.url));

const peerConfig = {
  distDir: process.env.NEXT_DIST_DIR || ".next",
  poweredByHeader: false,
  reactStrictMode: true,
  headers: mainConfig.headers,
  turbopack: { root: here },
};

export default peerConfig;
