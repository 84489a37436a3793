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

/**
 * The development area (lib/dev/: the inspector's scenarios and policy panel, the test clock) is
 * reached from production code through one module, lib/dev/gate.ts, which checks the flags and
 * `isLocal`. Browser code never reaches it at all.
 */
const DEV_INTERNALS = {
  // Everything under lib/dev except the gate. (A `!` in a group cannot re-allow a file once
  // its folder matched, so this one is a regular expression.)
  regex: "^@/lib/dev(/(?!gate$).*)?$",
  message:
    "Production code reaches lib/dev only through @/lib/dev/gate, which turns development tools on only for a local server.",
};
const DEV_AREA = {
  group: ["@/lib/dev", "@/lib/dev/*"],
  message: "Browser code never imports the development area (lib/dev): it is server-only.",
};

/** One `no-restricted-imports` block per layer; each restriction lists what that layer may never import. */
function layer(files, restrictions, ignores = []) {
  return {
    files,
    ignores: ["**/*.test.ts", "**/*.test.tsx", ...ignores],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            ...restrictions,
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

/**
 * ESLint applies the last matching block's options for a rule, so the general production block
 * comes first and every narrower block repeats DEV_INTERNALS.
 */
function layerRules() {
  return [
    layer(["app/**", "lib/**", "*.ts"], [DEV_INTERNALS], ["lib/dev/**"]),
    layer(
      ["components/**", "lib/client/**"],
      [
        {
          group: [...SERVER_MODULES, "@/app/*", "server-only"],
          message:
            "Browser code never imports server modules (lib/auth, lib/db, lib/http, lib/env): the access token lives in the zustand store, everything else stays on the server.",
        },
        DEV_AREA,
      ],
    ),
    layer(
      ["lib/auth/**", "lib/http/**"],
      [
        {
          group: UI_MODULES,
          message: "The server core never imports pages, components or the browser client.",
        },
        DEV_INTERNALS,
      ],
    ),
    layer(
      ["lib/db/**"],
      [
        {
          group: [...UI_MODULES, "@/lib/auth", "@/lib/auth/*", "@/lib/http", "@/lib/http/*"],
          message: "lib/db is the bottom layer: it knows the database, not auth or HTTP.",
        },
        DEV_INTERNALS,
      ],
    ),
    layer(
      ["lib/contract/**"],
      [
        {
          group: ["@/*", "server-only", "next", "next/*", "react", "react-dom", "jose", "zustand"],
          message:
            "lib/contract is the wire contract that server and browser both import: it may import zod only.",
        },
      ],
    ),
    layer(
      ["app/**/route.ts"],
      [
        {
          group: ["@/lib/db", "@/lib/db/*", ...UI_MODULES],
          message:
            "Route handlers parse, call one lib/ function and shape the response; database access lives in lib/.",
        },
        DEV_INTERNALS,
      ],
    ),
    layer(
      ["lib/dev/**"],
      [
        {
          group: UI_MODULES,
          message:
            "The development area is server code: it never imports pages, components or the browser client.",
        },
      ],
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
    "packages/*/dist/**",
    "packages/playwright-token-kit/test/readme/**",
    "e2e/*.readme.spec.ts",
  ]),
  {
    // The kit is a package other apps install: it never reaches into this app.
    files: ["packages/playwright-token-kit/src/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["@/*", "../../*", "next", "next/*", "react", "zustand", "jose"],
              message:
                "playwright-token-kit imports only node:, @playwright/test and its own modules: an app's code reaches it through the adapter.",
            },
          ],
        },
      ],
    },
  },
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
    files: ["e2e/**/*.ts", "packages/playwright-token-kit/**/*.ts"],
    rules: { "react-hooks/rules-of-hooks": "off" },
  },
]);
