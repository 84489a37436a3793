import type { Metadata } from "next";
import { ChangePasswordForm } from "@/components/account/change-password-form";

export const metadata: Metadata = { title: "Change password" };

export default function ChangePasswordPage() {
  return (
    <div className="max-w-lg space-y-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Change password</h1>
        <p className="mt-1 text-sm text-slate-600">
          Changing your password signs out every session of your account, on every device, in case
          someone else knows the old one. This browser gets a new session at once and stays signed
          in.
        </p>
      </div>
      <ChangePasswordForm />
    </div>
  );
}
