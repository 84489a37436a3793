import "server-only";

/**
 * Signing up in this app: an account and its first session (lib/auth/accounts.ts) plus the
 * demo's welcome notes (lib/notes.ts), in one transaction. The auth core knows nothing of notes;
 * this is where the two meet.
 */
import { registerUser } from "@/lib/auth/accounts";
import type { ClientInfo, IssuedRefreshToken } from "@/lib/auth/sessions";
import { seedWelcomeNotes } from "@/lib/notes";
import type { RegisterInput } from "@/lib/validation/auth";

/**
 * Registers an account with its welcome notes and starts its first session.
 *
 * @example
 * const issued = await signUp(input, getClientInfo(request)); // EmailTaken (409), TooManyRegistrations (429), ServerBusy (503)
 */
export function signUp(input: RegisterInput, client: ClientInfo): Promise<IssuedRefreshToken> {
  return registerUser(input, client, seedWelcomeNotes);
}
