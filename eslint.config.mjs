import { defineConfig, globalIgnores } from "eslint/config";
import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

const SERVER_MODULES = [
  "@/lib/auth",
  "@/lib/auth/*",
  "@/lib/db",
  "@/lib/db/*",
  "@/lib/http",
  "@/lib/http/*",
  "@/lib/env",
];
const UI_MODULES = ["@/app/*", "@/components", "@/components/*", "@/lib/client", "@/lib/client/*"];

/** One `no-restricted-imports` block per layer; `from` lists what that layer may never import. */
function layer(files, groups, why) {
  return {
    files,
    ignores: ["**/*.test.ts", "**/*.test.tsx"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: groups, message: why },
            // Relative paths would slip past the groups above.
            {
              group: ["../*"],
              message: "Import through the @/ alias so the layer rules can see it.",
            },
          ],
        },
      ],
    },
  };
}

function layerRules() {
  return [
    layer(
      ["components/**", "lib/client/**"],
      [...SERVER_MODULES, "@/app/*", "server-only"],
      "Browser code never imports server modules (lib/auth, lib/db, lib/http, lib/env): the access token lives in the zustand store, everything else stays on the server.",
    ),
    layer(
      ["lib/auth/**", "lib/http/**"],
      UI_MODULES,
      "The server core never imports pages, components or the browser client.",
    ),
    layer(
      ["lib/db/**"],
      [...UI_MODULES, "@/lib/auth", "@/lib/auth/*", "@/lib/http", "@/lib/http/*"],
      "lib/db is the bottom layer: it knows the database, not auth or HTTP.",
    ),
    layer(
      ["lib/contract/**"],
      ["@/*", "server-only", "next", "next/*", "react", "react-dom", "jose", "zustand"],
      "lib/contract is the wire contract that server and browser both import: it may import zod only.",
    ),
    layer(
      ["app/**/route.ts"],
      ["@/lib/db", "@/lib/db/*", ...UI_MODULES],
      "Route handlers parse, call one lib/ function and shape the response; database access lives in lib/.",
    ),
  ];
}

export default defineConfig([
  ...nextVitals,
  ...nextTs,
  globalIgnores([
    "**/.next/**",
    "**/.next-*/**",
    "blob-report/**",
    "lib/db/generated/**",
    "node_modules/**",
    ".data/**",
    "test-results/**",
    "playwright-report/**",
    "next-env.d.ts",
  ]),
  {
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
    },
  },
  // Layers the build enforces (ARCHITECTURE.md, "Layers"): a request flows page → browser client →
  // route handler → lib/http → lib/auth → lib/db, and nothing imports against that flow.
  ...layerRules(),
  {
    files: ["**/*.test.ts", "test/**/*.ts", "e2e/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  {
    // Playwright fixtures receive a `use` callback that is not React's `use` hook.
    files: ["e2e/**/*.ts"],
    rules: { "react-hooks/rules-of-hooks": "off" },
  },
]);
