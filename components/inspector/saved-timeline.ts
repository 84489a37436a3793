/**
 * The inspector's timeline, kept across page loads of this tab.
 *
 * The fetch wrapper's event log lives in page memory, and a forced sign-out navigates to the login
 * page, so the one moment worth studying (the replayed token, the refused refresh, the sign-out
 * with its reason) used to vanish with the page. The inspector therefore copies each page load's
 * events to `sessionStorage` (this tab only, gone when the tab closes) and shows earlier loads
 * above the current one when it opens again.
 *
 * What is stored is exactly what the timeline shows: event types and their data (paths, codes,
 * reasons, token fingerprints: the last six characters of a token, enough to tell two apart,
 * useless to replay). Never a token.
 */
import type { AuthEvent } from "@/lib/client/auth-store";

/** Versioned: events of another shape (an older build's) are not read back. */
const STORAGE_KEY = "inspector:timeline:v2";
/** Earlier page loads kept, newest last. */
export const MAX_SAVED_LOADS = 3;

export interface SavedLoad {
  /** Random per page load, so repeated saves replace their own entry. */
  id: string;
  /** Wall-clock ms of the load's first event. */
  startedAt: number;
  events: AuthEvent[];
}

function storage(): Storage | null {
  try {
    return typeof window === "undefined" ? null : window.sessionStorage;
  } catch {
    return null; // storage disabled (some privacy modes)
  }
}

/** Every saved load, oldest first; malformed data reads as none. */
export function readSavedLoads(): SavedLoad[] {
  const raw = storage()?.getItem(STORAGE_KEY);
  if (!raw) return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) ? parsed.filter(isSavedLoad) : [];
  } catch {
    return [];
  }
}

/**
 * Saves this page load's events (replacing its earlier save), keeping the newest MAX_SAVED_LOADS
 * loads.
 *
 * @example
 * saveLoad(loadId, authStore.getState().events);
 */
export function saveLoad(id: string, events: AuthEvent[]): void {
  const store = storage();
  const first = events[0];
  if (!store || !first) return;
  const loads = readSavedLoads().filter((load) => load.id !== id);
  loads.push({ id, startedAt: first.at, events });
  try {
    store.setItem(STORAGE_KEY, JSON.stringify(loads.slice(-MAX_SAVED_LOADS)));
  } catch {
    // Quota exceeded: the timeline still works for this page load.
  }
}

/** Forgets every saved load (the timeline's "Clear earlier page loads"). */
export function clearSavedLoads(): void {
  storage()?.removeItem(STORAGE_KEY);
}

function isSavedLoad(value: unknown): value is SavedLoad {
  if (typeof value !== "object" || value === null) return false;
  const load = value as Partial<SavedLoad>;
  return (
    typeof load.id === "string" &&
    typeof load.startedAt === "number" &&
    Array.isArray(load.events) &&
    load.events.every(
      (e: unknown) =>
        typeof e === "object" &&
        e !== null &&
        typeof (e as AuthEvent).seq === "number" &&
        typeof (e as AuthEvent).at === "number" &&
        typeof (e as AuthEvent).type === "string",
    )
  );
}
