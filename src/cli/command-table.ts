// The `cove` command table: every command group, one file each under commands/. index.ts builds
// the parser from this list; adding a group means adding its file here.
import type { CommandSpec, GroupSpec } from "./command.js";
import * as serve from "./commands/serve.js";
import * as login from "./commands/login.js";
import * as group from "./commands/group.js";
import * as acr from "./commands/acr.js";
import * as acrReadiness from "./commands/acr-readiness.js";
import * as adSp from "./commands/ad-sp.js";
import * as role from "./commands/role.js";
import * as acrCheckHealth from "./commands/acr-check-health.js";
import * as acrPrivateLink from "./commands/acr-private-link.js";
import * as acrReplication from "./commands/acr-replication.js";
import * as acrNetworkReport from "./commands/acr-network-report.js";
import * as networkVnet from "./commands/network-vnet.js";
import * as networkPrivateEndpoint from "./commands/network-private-endpoint.js";
import * as networkPrivateDns from "./commands/network-private-dns.js";
import * as audit from "./commands/audit.js";
import * as acrEvidence from "./commands/acr-evidence.js";
import * as acrPreflight from "./commands/acr-preflight.js";
import * as policy from "./commands/policy.js";
import * as policyExemption from "./commands/policy-exemption.js";
import * as policyInsights from "./commands/policy-insights.js";
import * as az from "./commands/az.js";
import * as lab from "./commands/lab.js";
import * as portal from "./commands/portal.js";

const FILES: { groups: GroupSpec[]; commands: CommandSpec[] }[] = [
  serve, login, group, acr, acrNetworkReport, adSp, role,
  acrPrivateLink, networkVnet, networkPrivateEndpoint, networkPrivateDns, audit, acrPreflight,
  acrReadiness, acrEvidence,
  acrCheckHealth,
  acrReplication,
  policy, policyExemption, policyInsights,
  az,
  lab,
  portal,
];

export const GROUPS: readonly GroupSpec[] = FILES.flatMap((f) => f.groups);
export const COMMANDS: readonly CommandSpec[] = FILES.flatMap((f) => f.commands);
