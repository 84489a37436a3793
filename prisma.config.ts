import { defineConfig } from "prisma/config";

// Used by the Prisma CLI (`prisma generate`, and `prisma migrate deploy` where the
// native engine is available). The app itself never reads this file.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://localhost/unused" },
});
