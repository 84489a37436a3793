/** Small formatting helpers shared by the inspector's cards. */

const clockFormat = new Intl.DateTimeFormat(undefined, {
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  fractionalSecondDigits: 3,
  hour12: false,
});
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

/** `14:02:07.381`: wall-clock time with milliseconds, for events and token times. */
export function formatClock(time: number | string | Date): string {
  return clockFormat.format(new Date(time));
}

/** `27 Nov 2026, 14:02:07`. */
export function formatDate(time: number | string | Date): string {
  return dateFormat.format(new Date(time));
}

/**
 * A duration for people: `0:42`, `4:05`, `2 h 10 min`, `6 d 23 h`. Negative durations are
 * formatted by their size; say "ago" around it.
 */
export function formatDuration(ms: number): string {
  const total = Math.floor(Math.abs(ms) / 1000);
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  if (days > 0) return hours > 0 ? `${days} d ${hours} h` : `${days} d`;
  if (hours > 0) return `${hours} h ${minutes} min`;
  return `${minutes}:${String(seconds).padStart(2, "0")}`;
}

/** `in 4:05` or `4:05 ago`. */
export function formatFromNow(time: number, now: number): string {
  const ms = time - now;
  return ms >= 0 ? `in ${formatDuration(ms)}` : `${formatDuration(ms)} ago`;
}

/** `+1.234 s` */
export function formatOffset(ms: number): string {
  return `${ms < 0 ? "−" : "+"}${(Math.abs(ms) / 1000).toFixed(3)} s`;
}
