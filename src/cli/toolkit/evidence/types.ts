// The shape of evidence.json (format cove-evidence-v1). Every section is plain JSON so that the
// canonical form is the document; docs/cli.md ("Evidence bundles") describes the sections. Fields a
// source does not know are absent (never guessed); a section that could not be computed says so
// with `status: "unknown"` and the reason.
import type { AuditRecord, AuditVerificationEvidence } from "./audit-window.js";
import type { DenialCount, HistoryEntry, TokenUse } from "./collector.js";
import type { RepositoryList } from "./catalog.js";
import type { ReadinessReport } from "../readiness.js";
import type { SpooledArray } from "./canonical.js";
import type { ReportRow } from "../../../network-policy/reachability/report.js";

export const EVIDENCE_FORMAT = "cove-evidence-v1";

export interface RegistryEvidence {
  id: string;
  name: string;
  resourceGroup: string;
  location: string;
  sku: string;
  loginServer: string;
  publicNetworkAccess: string;
  networkRuleSet: { defaultAction: string; ipRules: { action: string; value: string }[] };
  dataEndpointEnabled: boolean;
  dataEndpointHostNames: string[];
  adminUserEnabled?: boolean;
  anonymousPullEnabled?: boolean;
}

export interface ConnectionEvidence {
  id: string;
  name: string;
  privateEndpointId: string;
  status: string;
  description: string;
  actionsRequired?: string;
  /** Every transition in the window, from the audit log; `actorName` as the directory names the actor. */
  history: (HistoryEntry & { actorName?: string })[];
}

export interface PrivateLinkResourceEvidence {
  id: string;
  name: string;
  groupId: string;
  requiredMembers: string[];
  requiredZoneNames: string[];
}

export interface EndpointEvidence {
  id: string;
  name: string;
  resourceGroup: string;
  vnet: string;
  vnetId: string;
  subnet: string;
  subnetId: string;
  connectionName?: string;
  status: string;
  manual: boolean;
  networkInterfaces: string[];
  ips: { ip: string; member: string; fqdn: string }[];
  zoneGroups: { name: string; zones: string[] }[];
}

export interface ZoneEvidence {
  id: string;
  name: string;
  resourceGroup: string;
  /** The A record sets of this registry's names (relative names), with their addresses. */
  records: { name: string; ips: string[] }[];
  links: { id: string; name: string; vnetId: string; vnet: string; resolutionPolicy: string }[];
}

export interface HolderEvidence {
  principalId: string;
  appId?: string;
  displayName?: string;
  roles: string[];
  actions: string[];
  scopes: string[];
  /** True when some right comes from an assignment above the registry (group, subscription). */
  inherited: boolean;
}

/** A row of the reachability matrix as the bundle keeps it: the report's row without its fix commands. */
export type MatrixRowEvidence = Omit<ReportRow, "cause" | "fix" | "decision"> & { decision: string };

export interface PreflightEvidence {
  file: string;
  sha256: string;
  result: unknown;
}

export interface TokenUseEvidence extends TokenUse {
  principal?: string;
  network: string;
}

export interface AuditEvidence {
  verification: AuditVerificationEvidence;
  window: { since: string; until: string; firstSeq: number | null; lastSeq: number | null };
  counts: {
    /** Records of the whole log in the window (every registry). */
    window: number;
    /** Records kept by name in `records`. */
    excerpt: number;
    /** This registry's records in the window, by kind (token use included). */
    byKind: Record<string, number>;
    /** Routine token issues: rows written one by one, aggregate records, and the issues they count. */
    tokenRecords: number;
    tokenAggregates: number;
    tokenIssues: number;
    /** Counts that went to a clientIp "*" row once MAX_CLIENT_ROWS clients were listed (collector.ts). */
    folded: { tokenUse: number; denials: number };
  };
  /** In the file, the records; while exporting, the spool that holds them (spool.ts). */
  records: AuditRecord[] | SpooledArray;
  tokenUse: TokenUseEvidence[];
}

export interface DenialEvidence extends DenialCount {
  network: string;
  count: number;
}

export interface HygieneEvidence {
  unusedEndpoints: { id: string; name: string; status: string }[];
  duplicateZones: { name: string; zones: string[] }[];
  premiumWithoutEndpoints: { id: string; name: string }[];
  unpulledRepositories: RepositoryList & { basis?: string };
}

/** A policy assignment at a scope that holds the registry or its private path (compliance.ts). */
export interface PolicyAssignmentEvidence {
  id: string;
  name: string;
  displayName: string;
  definitionId: string;
  /** The definition's display name (its id's last segment when it cannot be read). */
  definitionName: string;
  scope: string;
  notScopes: string[];
  enforcementMode: string;
  /** The values the assignment gives: name -> value. */
  parameters: Record<string, unknown>;
}

/** One resource's state under one assignment, as Microsoft.PolicyInsights reports it. */
export interface ComplianceStateEvidence {
  resourceId: string;
  resourceType: string;
  assignmentId: string;
  /** Display names, as a reviewer reads them. */
  assignment: string;
  definitionId: string;
  definition: string;
  complianceState: string;
  /** Why, in the server's words (policyEvaluationDetails.reason), else the expressions that decided. */
  reason?: string;
  timestamp: string;
}

export interface ExemptionEvidence {
  id: string;
  name: string;
  displayName?: string;
  /** Waiver or Mitigated. */
  category: string;
  scope: string;
  assignmentId: string;
  assignment: string;
  /** ISO 8601, or null: it never expires. */
  expiresOn: string | null;
  /** expiresOn had passed when the bundle was exported. */
  expired: boolean;
  description?: string;
}

export type ComplianceEvidence =
  | { status: "known"; assignments: PolicyAssignmentEvidence[]; nonCompliant: ComplianceStateEvidence[]; exempt: ComplianceStateEvidence[]; exemptions: ExemptionEvidence[] }
  | { status: "unknown"; reason: string };

export interface Evidence {
  format: typeof EVIDENCE_FORMAT;
  bundleId: string;
  createdAt: string;
  source: { managementEndpoint: string; subscriptionId: string; exportedBy: string; cli: string };
  registry: RegistryEvidence;
  connections: ConnectionEvidence[];
  privateLinkResources: PrivateLinkResourceEvidence[];
  endpoints: EndpointEvidence[];
  zones: ZoneEvidence[];
  roleAssignments: HolderEvidence[];
  reachability: { rows: MatrixRowEvidence[] };
  /** `notAssessed` when more addresses than export.ts's MAX_READINESS_CLIENTS used the public endpoint. */
  readiness: ReadinessReport & { notAssessed?: { records: number; reason: string } };
  preflight: PreflightEvidence[];
  audit: AuditEvidence;
  denials: { byClient: DenialEvidence[]; unattributed: { count: number; byReason: Record<string, number> } };
  hygiene: HygieneEvidence;
  /** Azure Policy: absent from bundles exported before the CLI read it. */
  compliance?: ComplianceEvidence;
}
