import "server-only";

import type { ClientInfo } from "@/lib/auth/sessions";
import { getEnv } from "@/lib/env";

/**
 * The device and address a session is recorded with. X-Forwarded-For is
 * trusted only with TRUST_PROXY=1 (a proxy you run sets it); otherwise any
 * client could write whatever address it likes there, so none is recorded.
 */
export function getClientInfo(request: Request): ClientInfo {
  const userAgent = request.headers.get("user-agent");
  let ip: string | null = null;
  if (getEnv().TRUST_PROXY === "1") {
    ip = request.headers.get("x-forwarded-for")?.split(",")[0]?.trim() || null;
  }
  return { userAgent, ip: ip ? ip.slice(0, 64) : null };
}
