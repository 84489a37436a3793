import type { ReactNode } from "react";

const TONES = {
  info: "bg-brand-50 text-brand-700 ring-brand-100",
  warning: "bg-amber-50 text-amber-800 ring-amber-200",
  error: "bg-red-50 text-red-800 ring-red-200",
} as const;

/** A short message box; `error` and `warning` are announced to screen readers. */
export function Alert({
  tone = "info",
  children,
}: {
  tone?: keyof typeof TONES;
  children: ReactNode;
}) {
  return (
    <div
      role={tone === "info" ? "status" : "alert"}
      className={`rounded-md px-3.5 py-2.5 text-sm ring-1 ring-inset ${TONES[tone]}`}
    >
      {children}
    </div>
  );
}
