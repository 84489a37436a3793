/**
 * Security headers for every response, and `no-store` for every API answer
 * (tokens must never sit in a shared or browser cache).
 *
 * @type {import('next').NextConfig}
 */
const securityHeaders = [
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "same-origin" },
  { key: "X-Frame-Options", value: "DENY" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=()" },
  // Browsers ignore HSTS received over plain http (RFC 6797 §8.1), so sending it
  // always is safe for local runs and right for https deployments.
  { key: "Strict-Transport-Security", value: "max-age=63072000; includeSubDomains" },
];

/** API answers are data, never documents: nothing may run or embed them. */
const apiHeaders = [
  { key: "Cache-Control", value: "no-store" },
  { key: "Content-Security-Policy", value: "default-src 'none'; frame-ancestors 'none'" },
];

const nextConfig = {
  // Separate build folders let a benchmark or a second checkout build beside a running server.
  distDir: process.env.NEXT_DIST_DIR || ".next",
  poweredByHeader: false,
  reactStrictMode: true,
  // Native addon and WASM packages: load them from node_modules at run time
  // instead of bundling them.
  serverExternalPackages: [
    "@node-rs/argon2",
    "@electric-sql/pglite",
    "pglite-prisma-adapter",
    "@prisma/adapter-pg",
    "pg",
  ],
  async headers() {
    return [
      { source: "/:path*", headers: securityHeaders },
      { source: "/api/:path*", headers: apiHeaders },
    ];
  },
};

export default nextConfig;
