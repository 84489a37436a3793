import type { Metadata } from "next";
import { Inspector } from "@/components/inspector/inspector";
import { areDevScenariosEnabled, isSessionPolicyPanelEnabled } from "@/lib/dev/gate";

export const metadata: Metadata = { title: "Inspector" };

/**
 * /inspector: silent refresh, watched and broken on purpose. The server decides here which
 * development-only parts to offer; their routes check the same configuration again.
 */
export default function InspectorPage() {
  return (
    <Inspector
      devScenarios={areDevScenariosEnabled()}
      policyPanel={isSessionPolicyPanelEnabled()}
    />
  );
}
