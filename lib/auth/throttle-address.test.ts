import { describe, expect, it } from "vitest";
import { throttleAddress } from "@/lib/auth/throttle-address";

describe("throttleAddress", () => {
  it("keys an IPv6 client by its network, however the address is written", () => {
    const key = "2001:db8:1:2::/64";
    expect(throttleAddress("2001:db8:1:2:aaaa:bbbb:cccc:dddd", 64)).toBe(key);
    expect(throttleAddress("2001:0DB8:0001:0002::1", 64)).toBe(key);
    expect(throttleAddress("[2001:db8:1:2::7]", 64)).toBe(key);
    expect(throttleAddress("2001:db8:1:2::7%eth0", 64)).toBe(key);
    expect(throttleAddress("2001:db8:1:3::1", 64)).toBe("2001:db8:1:3::/64");
  });

  it("takes the configured prefix", () => {
    expect(throttleAddress("2001:db8:1:2ff::1", 48)).toBe("2001:db8:1::/48");
    expect(throttleAddress("2001:db8:1:2ff::1", 56)).toBe("2001:db8:1:200::/56");
    expect(throttleAddress("2001:db8::1", 128)).toBe("2001:db8::1/128");
  });

  it("treats an IPv4-mapped IPv6 address as its IPv4 address", () => {
    expect(throttleAddress("::ffff:203.0.113.9", 64)).toBe("203.0.113.9");
    expect(throttleAddress("::ffff:cb00:7109", 64)).toBe("203.0.113.9");
    expect(throttleAddress("203.0.113.9", 64)).toBe("203.0.113.9");
  });

  it("leaves what is not an address as it is (never a crash, never two clients merged)", () => {
    expect(throttleAddress("unknown", 64)).toBe("unknown");
    expect(throttleAddress("203.0.113.9:443", 64)).toBe("203.0.113.9:443");
    expect(throttleAddress("", 64)).toBe("");
  });
});
