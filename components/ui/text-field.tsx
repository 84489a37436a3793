import { useId, type InputHTMLAttributes } from "react";

/** A labelled input with its server-side errors announced and linked by aria-describedby. */
export function TextField({
  label,
  errors,
  hint,
  ...props
}: InputHTMLAttributes<HTMLInputElement> & { label: string; errors?: string[]; hint?: string }) {
  const id = useId();
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const invalid = !!errors?.length;
  const describedBy = [invalid ? errorId : null, hint ? hintId : null].filter(Boolean).join(" ");
  return (
    <div className="space-y-1.5">
      <label htmlFor={id} className="block text-sm font-medium text-slate-700">
        {label}
      </label>
      <input
        id={id}
        {...props}
        aria-invalid={invalid || undefined}
        aria-describedby={describedBy || undefined}
        className={`block w-full rounded-md border-0 bg-white px-3 py-2 text-sm shadow-sm ring-1 ring-inset placeholder:text-slate-400 focus:ring-2 focus:ring-inset focus:outline-none ${
          invalid ? "ring-red-400 focus:ring-red-500" : "ring-slate-300 focus:ring-brand-500"
        }`}
      />
      {hint && !invalid && (
        <p id={hintId} className="text-xs text-slate-500">
          {hint}
        </p>
      )}
      {invalid && (
        <p id={errorId} role="alert" className="text-xs text-red-700">
          {errors.join(" ")}
        </p>
      )}
    </div>
  );
}
