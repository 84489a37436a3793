/**
 * Prints session cookie values for the peer app as a JSON array: exactly what
 * an Auth.js sign-in would set (`encode` from next-auth/jwt, salted with the
 * cookie name, default 30-day lifetime), one per benchmark user.
 *
 * Usage: AUTH_SECRET=… node mint-session.mjs <count>
 */
import { encode } from "next-auth/jwt";

const SESSION_COOKIE = "authjs.session-token";

const count = Number(process.argv[2] ?? 1);
const cookies = [];
for (let i = 0; i < count; i++) {
  const sub = crypto.randomUUID();
  cookies.push(
    await encode({
      token: { sub, name: `Bench user ${i}`, email: `bench.${i}@example.test` },
      secret: process.env.AUTH_SECRET,
      salt: SESSION_COOKIE,
    }),
  );
}
process.stdout.write(JSON.stringify(cookies));
