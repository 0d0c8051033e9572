// `cove acr evidence export`: one read of the estate (collectInventory -> buildModel, the same
// model every toolkit command uses), one streamed pass over the audit log, then the bundle. The
// preflight files are read first, so a bad file is refused before anything is fetched.
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { buildModel, type ReachabilityModel, type RegistryInfo } from "../../../network-policy/reachability/model.js";
import { networkReport } from "../../../network-policy/reachability/report.js";
import type { ArmInventory, ArmJson } from "../../../network-policy/reachability/inventory.js";
import { notFound, usageError } from "../../errors.js";
import type { Session } from "../../session.js";
import { packageVersion } from "../../version.js";
import { collectInventory } from "../collect.js";
import { PublicUses, readinessVerdicts, withPublicAccessDisabled } from "../readiness.js";
import { readAuditWindow, type AuditScope } from "./audit-window.js";
import { EvidenceCollector } from "./collector.js";
import type { RecordSpool } from "./spool.js";
import type { RepositoryList } from "./catalog.js";
import { denialRows, hygiene, tokenUseRows } from "./findings.js";
import { sha256Hex } from "./canonical.js";
import { complianceSection } from "./compliance.js";
import {
  connectionsSection, endpointsSection, holdersSection, matrixSection, privateLinkSection, registrySection, relevantZoneNames, zonesSection,
} from "./sections.js";
import { EVIDENCE_FORMAT, type Evidence, type PreflightEvidence } from "./types.js";

export interface ExportOptions {
  name: string;
  group?: string;
  /** ISO 8601: the window's start. */
  since: string;
  preflight: string[];
  /** The registry's repositories, read from the data plane (the command wires how). */
  catalog(reg: RegistryInfo): Promise<RepositoryList>;
  /** Where the excerpt's records go while the log streams past (the caller removes it). */
  spool: RecordSpool;
  now?: () => Date;
}

async function readPreflight(files: readonly string[]): Promise<PreflightEvidence[]> {
  const out: PreflightEvidence[] = [];
  for (const file of files) {
    let data: Buffer;
    try {
      data = await readFile(file);
    } catch (e) {
      throw usageError(`Cannot read the preflight result '${file}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    let result: unknown;
    try {
      result = JSON.parse(data.toString("utf8"));
    } catch (e) {
      throw usageError(`'${file}' is not JSON (a result of 'cove acr preflight --json' is one JSON object): ${(e as Error).message}`);
    }
    out.push({ file: basename(file), sha256: sha256Hex(data), result });
  }
  const names = out.map((p) => p.file);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw usageError(`Two preflight results are named '${twice}': give files with distinct names (the bundle names each by its file name).`);
  return out;
}

function findRegistry(model: ReachabilityModel, name: string, group: string | undefined, subscriptionId: string): RegistryInfo {
  const hits = model.registries.filter((r) => r.name.toLowerCase() === name.toLowerCase() && (!group || r.group.toLowerCase() === group.toLowerCase()));
  if (hits.length === 0) {
    throw notFound(group
      ? `The Resource 'Microsoft.ContainerRegistry/registries/${name}' under resource group '${group}' was not found.`
      : `The resource with name '${name}' and type 'Microsoft.ContainerRegistry/registries' could not be found in subscription '${subscriptionId}'.`);
  }
  if (hits.length > 1) throw usageError(`More than one registry is named ${name} (${hits.map((h) => h.group).join(", ")}); give -g.`);
  return hits[0]!;
}

function auditScope(inv: ArmInventory, reg: RegistryInfo, ev: Pick<Evidence, "endpoints" | "zones" | "roleAssignments">): AuditScope {
  const related = new Set<string>();
  for (const e of ev.endpoints) {
    related.add(e.id.toLowerCase());
    related.add(e.vnetId.toLowerCase());
    for (const n of e.networkInterfaces) related.add(n.toLowerCase());
  }
  for (const z of ev.zones) {
    related.add(z.id.toLowerCase());
    for (const l of z.links) related.add(l.vnetId.toLowerCase());
  }
  const principals = new Set<string>();
  for (const h of ev.roleAssignments) {
    principals.add(h.principalId.toLowerCase());
    if (h.appId) principals.add(h.appId.toLowerCase());
  }
  const endpointByIp = new Map<string, string>();
  for (const e of ev.endpoints) for (const i of e.ips) endpointByIp.set(i.ip, e.id.toLowerCase());
  const doc = inv.registries.find((r) => String(r.id).toLowerCase() === reg.key);
  const hosts = new Set([reg.host, ...((doc?.properties?.dataEndpointHostNames ?? []) as string[]).map((h) => h.toLowerCase())]);
  if (reg.dataHost) hosts.add(reg.dataHost);
  return { registryId: reg.key, related, endpointByIp, hosts, principals };
}

/** Readiness diagnoses each public client once; a flood of addresses must not make that unbounded. */
export const MAX_READINESS_CLIENTS = 2000;

/** Feeds readiness the window's records, except those that would add an address past the bound. */
function boundedFeed(uses: PublicUses, registryKey: string): { add(r: { time: string; event: Record<string, any> }): void; skipped: number } {
  const seen = new Set<string>();
  const feed = {
    skipped: 0,
    add(r: { time: string; event: Record<string, any> }) {
      const e = r.event;
      if (String(e.registry ?? "").toLowerCase() !== registryKey) return; // readiness reads this registry's records only
      // The addresses readiness would list: public token clients, older token rows, public-endpoint refusals.
      const ips: unknown[] = Array.isArray(e.clients)
        ? e.clients.filter((c: { path?: unknown }) => c?.path === "public").map((c: { clientIp?: unknown }) => c.clientIp)
        : e.kind === "data-plane-denied" && !String(e.via ?? "").startsWith("public:") ? [] : [e.clientIp];
      const fresh = ips.filter((ip) => typeof ip === "string" && !seen.has(ip)) as string[];
      if (fresh.length && seen.size + fresh.length > MAX_READINESS_CLIENTS) {
        feed.skipped++;
        return;
      }
      for (const ip of fresh) seen.add(ip);
      uses.add(r);
    },
  };
  return feed;
}

export async function buildEvidence(s: Session, o: ExportOptions): Promise<Evidence> {
  const preflight = await readPreflight(o.preflight);
  const createdAt = (o.now?.() ?? new Date()).toISOString();
  const inv = await collectInventory(s);
  const model = buildModel(inv);
  const reg = findRegistry(model, o.name, o.group, s.profile.subscriptionId);
  const plr: ArmJson[] = [];
  for await (const r of s.acr().registries.listPrivateLinkResources(reg.group, reg.name)) plr.push(r as ArmJson);

  const privateLinkResources = privateLinkSection(plr);
  const endpoints = endpointsSection(inv, model, reg);
  const zoneNames = relevantZoneNames(privateLinkResources, endpoints, model);
  const zones = zonesSection(model, reg, zoneNames);
  const roleAssignments = holdersSection(model, reg);

  // One pass over the log feeds both the evidence and readiness's users of the public endpoint.
  const collector = new EvidenceCollector(auditScope(inv, reg, { endpoints, zones, roleAssignments }), o.spool);
  const publicUses = new PublicUses(reg.id);
  const readinessFeed = boundedFeed(publicUses, reg.key);
  const [verification, catalog, compliance] = await Promise.all([
    readAuditWindow(s, o.since, createdAt, { add(r) { collector.add(r); readinessFeed.add(r); } }),
    o.catalog(reg),
    complianceSection(s, { resources: [reg.id, ...endpoints.map((e) => e.id), ...zones.map((z) => z.id)], now: createdAt }),
  ]);
  const readiness = {
    ...readinessVerdicts(model, buildModel(withPublicAccessDisabled(inv, reg.id)), reg, publicUses.list(), o.since),
    ...(readinessFeed.skipped ? { notAssessed: { records: readinessFeed.skipped, reason: `more than ${MAX_READINESS_CLIENTS} client addresses in the window: the records of further addresses were not assessed` } } : {}),
  };

  return {
    format: EVIDENCE_FORMAT,
    bundleId: randomUUID(),
    createdAt,
    source: { managementEndpoint: s.profile.managementEndpoint, subscriptionId: s.profile.subscriptionId, exportedBy: s.profile.clientId, cli: `cove ${packageVersion()}` },
    registry: registrySection(inv, reg),
    connections: connectionsSection(inv, model, reg, collector.history),
    privateLinkResources,
    endpoints,
    zones,
    roleAssignments,
    reachability: matrixSection(networkReport(model, reg)),
    readiness,
    preflight,
    audit: {
      verification,
      window: { since: o.since, until: createdAt, firstSeq: collector.firstSeq ?? null, lastSeq: collector.lastSeq ?? null },
      counts: { ...collector.counts, byKind: Object.fromEntries(Object.entries(collector.counts.byKind).sort(([a], [b]) => a.localeCompare(b))), folded: collector.folded },
      records: o.spool.close(),
      tokenUse: tokenUseRows(model, collector),
    },
    denials: { byClient: denialRows(model, collector), unattributed: collector.unattributed },
    hygiene: hygiene(model, endpoints, zoneNames, collector, catalog),
    compliance,
  };
}
