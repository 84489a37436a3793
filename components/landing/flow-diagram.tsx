/**
 * The token flow as a sequence diagram, drawn as SVG from the list of steps
 * below (one arrow per step), so the picture and the text cannot drift apart.
 * Each browser-side step names the event the fetch wrapper records for it
 * (lib/client/auth-events.ts), so the diagram reads like the inspector's timeline.
 */
import type { AuthEventType } from "@/lib/client/auth-store";
import { ERROR_CODE } from "@/lib/contract";

type Lane = "browser" | "server" | "db";
type Step = {
  from: Lane;
  to: Lane;
  label: string;
  /** What the inspector's timeline shows at this step. */
  event?: AuthEventType;
  tone?: "ok" | "warn";
};

const LANES: Array<{ id: Lane; title: string; subtitle: string }> = [
  { id: "browser", title: "Browser", subtitle: "page + fetch wrapper" },
  { id: "server", title: "Route handlers", subtitle: "Next.js, jose" },
  { id: "db", title: "Database", subtitle: "Prisma, hashed tokens" },
];

const STEPS: Step[] = [
  { from: "browser", to: "server", label: "POST /api/auth/login {email, password}" },
  { from: "server", to: "db", label: "new session + refresh token (hash only)" },
  {
    from: "server",
    to: "browser",
    label: "200 access JWT (body, 5 min) + refresh cookie (httpOnly)",
    event: "login",
    tone: "ok",
  },
  {
    from: "browser",
    to: "server",
    label: "GET /api/notes  Authorization: DPoP <JWT> + proof by the device key",
    event: "request",
  },
  {
    from: "server",
    to: "browser",
    label: "200 notes (signature checked, no DB lookup)",
    tone: "ok",
  },
  {
    from: "browser",
    to: "server",
    label: "GET /api/notes  (token died early: revoked, skew, sleep)",
    event: "request",
  },
  {
    from: "server",
    to: "browser",
    label: `401 ${ERROR_CODE.tokenExpired}`,
    event: "unauthorized",
    tone: "warn",
  },
  {
    from: "browser",
    to: "server",
    label: "POST /api/auth/refresh  (cookie, once for all callers)",
    event: "refresh_start",
  },
  { from: "server", to: "db", label: "rotate: spend old token, store successor, atomically" },
  {
    from: "server",
    to: "browser",
    label: "200 new access JWT + rotated cookie",
    event: "rotation",
    tone: "ok",
  },
  {
    from: "browser",
    to: "server",
    label: "retry GET /api/notes with the new JWT",
    event: "retry",
  },
  { from: "server", to: "browser", label: "200 notes", tone: "ok" },
];

const WIDTH = 860;
/** Left of the browser's lane: the event names. */
const EVENT_X = 62;
const LANE_X: Record<Lane, number> = { browser: 210, server: 500, db: 760 };
const HEADER_HEIGHT = 64;
const ROW_HEIGHT = 34;
const TONE_COLOR = { ok: "#047857", warn: "#b45309" } as const;

const LANE_TITLE: Record<Lane, string> = {
  browser: "Browser",
  server: "Server",
  db: "Database",
};

/**
 * Wide screens get the sequence diagram; phones get the same steps as a numbered list (an SVG
 * scaled to 390 px would be unreadable, and a sideways-scrolling one hides half the story).
 */
export function FlowDiagram() {
  const height = HEADER_HEIGHT + STEPS.length * ROW_HEIGHT + 24;
  return (
    <figure className="rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200">
      <ol className="space-y-2 sm:hidden" data-testid="flow-steps">
        {STEPS.map((step, i) => (
          <li key={i} className="flex gap-3 text-sm">
            <span className="w-5 shrink-0 text-right font-mono text-xs leading-5 text-slate-600">
              {i + 1}.
            </span>
            <span className="min-w-0">
              <span className="block text-xs font-medium text-slate-600">
                {LANE_TITLE[step.from]} → {LANE_TITLE[step.to]}
              </span>
              <span
                className={`block break-words ${
                  step.tone === "ok"
                    ? "text-emerald-800"
                    : step.tone === "warn"
                      ? "text-amber-800"
                      : "text-slate-800"
                }`}
              >
                {step.label}
              </span>
              {step.event && (
                <span className="mt-0.5 inline-block rounded bg-brand-50 px-1.5 font-mono text-xs text-brand-700">
                  {step.event}
                </span>
              )}
            </span>
          </li>
        ))}
      </ol>
      <svg
        viewBox={`0 0 ${WIDTH} ${height}`}
        className="hidden w-full sm:block"
        role="img"
        aria-labelledby="flow-title flow-desc"
      >
        <title id="flow-title">Access and refresh token flow</title>
        <desc id="flow-desc">
          {STEPS.map((s, i) => `${i + 1}. ${s.label}${s.event ? ` (event ${s.event})` : ""}`).join(
            ". ",
          )}
        </desc>
        <defs>
          <marker
            id="arrow"
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto-start-reverse"
          >
            <path d="M 0 0 L 10 5 L 0 10 z" fill="context-stroke" />
          </marker>
        </defs>
        <text x={EVENT_X} y={23} textAnchor="middle" fontSize="11" fontWeight="600" fill="#4338ca">
          Timeline event
        </text>
        <text x={EVENT_X} y={39} textAnchor="middle" fontSize="11" fill="#64748b">
          (the inspector)
        </text>
        {LANES.map((lane) => (
          <g key={lane.id}>
            <rect
              x={LANE_X[lane.id] - 85}
              y={4}
              width={170}
              height={44}
              rx={8}
              fill="#eef2ff"
              stroke="#c7d2fe"
            />
            <text
              x={LANE_X[lane.id]}
              y={23}
              textAnchor="middle"
              fontSize="13"
              fontWeight="600"
              fill="#1e293b"
            >
              {lane.title}
            </text>
            <text x={LANE_X[lane.id]} y={39} textAnchor="middle" fontSize="11" fill="#64748b">
              {lane.subtitle}
            </text>
            <line
              x1={LANE_X[lane.id]}
              x2={LANE_X[lane.id]}
              y1={48}
              y2={height - 8}
              stroke="#cbd5e1"
              strokeDasharray="4 4"
            />
          </g>
        ))}
        {STEPS.map((step, i) => {
          const y = HEADER_HEIGHT + i * ROW_HEIGHT + 16;
          const x1 = LANE_X[step.from];
          const x2 = LANE_X[step.to];
          const color = step.tone ? TONE_COLOR[step.tone] : "#334155";
          const labelX = (x1 + x2) / 2;
          return (
            <g key={i}>
              <line
                x1={x1}
                x2={x2 + (x2 > x1 ? -3 : 3)}
                y1={y}
                y2={y}
                stroke={color}
                strokeWidth={1.5}
                markerEnd="url(#arrow)"
              />
              <text x={labelX} y={y - 6} textAnchor="middle" fontSize="11" fill={color}>
                {i + 1}. {step.label}
              </text>
              {step.event && (
                <text
                  x={EVENT_X}
                  y={y + 4}
                  textAnchor="middle"
                  fontSize="10"
                  fontFamily="ui-monospace, SFMono-Regular, Menlo, Consolas, monospace"
                  fill="#4338ca"
                >
                  {step.event}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <figcaption className="mt-3 space-y-1 text-xs text-slate-600">
        <span className="block">
          Most of the time steps 6–7 never happen: 30 seconds before the access token expires, the
          wrapper refreshes on its own (steps 8–10, proactively), so requests never meet a 401.
          Steps 6–11 are the path for a token that dies early; the dashboard&apos;s &ldquo;Expire my
          access token now&rdquo; shows it on demand.
        </span>
        <span className="block">
          In blue, the event the fetch wrapper records at each step: the inspector&apos;s timeline
          shows exactly these (signed-in users can open it from the header, at /inspector).
        </span>
      </figcaption>
    </figure>
  );
}
