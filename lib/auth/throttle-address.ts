import "server-only";

/**
 * The address a throttle counts by (lib/auth/throttle.ts), which is not always the address a
 * client came from.
 *
 * IMPORTANT: an IPv6 client is counted by its network, not its address. Whoever has one IPv6
 * address usually has the whole /64 around it (the smallest block a VPS, a home router or a phone
 * network hands out), i.e. 2^64 addresses to rotate through: keyed on the exact address, every
 * guess would start a fresh per-address counter. THROTTLE_IPV6_PREFIX (lib/env.ts, default 64)
 * says how many leading bits name one client; 48 or 56 treat a whole site as one.
 *
 * An IPv4-mapped IPv6 address (`::ffff:203.0.113.9`, what a dual-stack socket reports for an IPv4
 * client) is that IPv4 address, so the same client is never counted under two names. Anything
 * else (not an address: a proxy that sends something odd) is counted as the string it is.
 */
import { isIP } from "node:net";
import ipaddr from "ipaddr.js";

/**
 * The counter key for a client address: IPv4 as is, IPv6 as its network `prefix/len`.
 *
 * @example
 * throttleAddress("2001:db8:1:2:aaaa::1", 64); // "2001:db8:1:2::/64"
 * throttleAddress("::ffff:203.0.113.9", 64); // "203.0.113.9"
 */
export function throttleAddress(ip: string, ipv6PrefixLength: number): string {
  const bare = ip.replace(/^\[(.*)\]$/, "$1").replace(/%.*$/, "");
  if (isIP(bare) === 0) return ip;
  const address = ipaddr.process(bare);
  if (address.kind() === "ipv4") return address.toString();
  const network = ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/${ipv6PrefixLength}`);
  return `${network.toString()}/${ipv6PrefixLength}`;
}
