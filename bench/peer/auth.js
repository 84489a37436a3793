/**
 * Auth.js (next-auth v5) as an adopter would set it up for stateless sessions:
 * the JWT strategy (an encrypted JWT in the `authjs.session-token` cookie, no
 * database). The benchmark mints that cookie with `encode` from next-auth/jwt
 * (mint-session.mjs) instead of signing in, which is what a sign-in would set.
 */
import NextAuth from "next-auth";
import Credentials from "next-auth/providers/credentials";

export const { auth, handlers } = NextAuth({
  secret: process.env.AUTH_SECRET,
  trustHost: true,
  session: { strategy: "jwt" },
  providers: [Credentials({ authorize: () => null })],
  callbacks: {
    session({ session, token }) {
      if (session.user && token.sub) session.user.id = token.sub;
      return session;
    },
  },
});
