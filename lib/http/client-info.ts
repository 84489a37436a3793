import "server-only";

import type { ClientInfo } from "@/lib/auth/sessions";
import { getEnv } from "@/lib/env";

/**
 * The device and address a session is recorded with (and the login throttle
 * counts by). X-Forwarded-For is read only with TRUST_PROXY=1, and then only
 * its LAST entry: the address your proxy saw and appended. Earlier entries
 * came from the client and could be anything, so reading the first one would
 * let a client choose its own address. Without a trusted proxy none is recorded.
 * Sessions record the address as it is; the throttle counts an IPv6 client by its network
 * (lib/auth/throttle-address.ts, THROTTLE_IPV6_PREFIX) and an IPv4-mapped one as IPv4.
 */
export function getClientInfo(request: Request): ClientInfo {
  const userAgent = request.headers.get("user-agent");
  let ip: string | null = null;
  if (getEnv().TRUST_PROXY === "1") {
    ip = request.headers.get("x-forwarded-for")?.split(",").at(-1)?.trim() || null;
  }
  return { userAgent, ip: ip ? ip.slice(0, 64) : null };
}
