// Reads the toolkit's inventory (network-policy/reachability/inventory.ts) through the official SDK
// clients, so the same command works against Azure's ARM as against Cove's. The model wants ARM's
// documents as served, not the SDKs' flattened models, so every call keeps the raw page it was
// answered with (`onResponse` hands over the parsed body of each page). Lists run in parallel;
// per-zone and per-endpoint children after their parents.
import type { ArmInventory, ArmJson, PrincipalInfo } from "../../network-policy/reachability/inventory.js";
import { emptyInventory } from "../../network-policy/reachability/inventory.js";
import { groupOf } from "../../network-policy/reachability/model.js";
import type { Session } from "../session.js";
import { listServicePrincipals } from "../service-principals.js";

interface RawCapture {
  onResponse(raw: { parsedBody?: unknown; bodyAsText?: string | null; body?: unknown }): void;
}

/** The body as the server sent it: core-client SDKs replace `parsedBody` with their flattened models, so their text is parsed again. */
function rawBody(raw: { parsedBody?: unknown; bodyAsText?: string | null; body?: unknown }): unknown {
  if (typeof raw.bodyAsText === "string" && raw.bodyAsText !== "") {
    try { return JSON.parse(raw.bodyAsText); } catch { return undefined; }
  }
  return raw.parsedBody ?? raw.body;
}

/** An options object whose onResponse keeps every item of every page (or the single body). */
function capture(into: ArmJson[]): RawCapture {
  return {
    onResponse(raw) {
      const body = rawBody(raw) as { value?: unknown } | undefined;
      if (body && Array.isArray(body.value)) into.push(...(body.value as ArmJson[]));
      else if (body && typeof body === "object" && "id" in body) into.push(body as ArmJson);
    },
  };
}

async function drain(it: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of it) { /* the pages' raw bodies are kept by capture() */ }
}

const nameOf = (id: string) => id.slice(id.lastIndexOf("/") + 1);

async function principals(s: Session): Promise<PrincipalInfo[]> {
  try {
    return (await listServicePrincipals(s)).map((p) => ({ objectId: p.objectId, appId: p.appId, displayName: p.displayName }));
  } catch {
    // A directory the caller may not read (or an ARM without Cove's identity API): assignments stay unnamed.
    return [];
  }
}

/** A list the caller may not read (403) is left empty and named in `unreadable`; anything else fails the read. */
async function readable(inv: ArmInventory, what: string, list: Promise<void>): Promise<void> {
  try {
    await list;
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode !== 403) throw e;
    (inv.unreadable ??= []).push(what);
  }
}

export interface CollectOptions {
  /** Zone groups cost one request per endpoint; the matrix does not need them (fixes and what-if do). */
  zoneGroups?: boolean;
}

/** Everything the model needs, read once. */
export async function collectInventory(s: Session, opts: CollectOptions = {}): Promise<ArmInventory> {
  const inv = emptyInventory();
  const [network, dns] = await Promise.all([s.network(), s.privateDns()]);
  const auth = s.authorization();
  await Promise.all([
    drain(s.acr().registries.list(capture(inv.registries) as never)),
    drain(network.virtualNetworks.listAll(capture(inv.virtualNetworks) as never)),
    drain(network.privateEndpoints.listBySubscription(capture(inv.privateEndpoints) as never)),
    drain(network.networkInterfaces.listAll(capture(inv.networkInterfaces) as never)),
    drain(dns.privateZones.list(capture(inv.privateDnsZones) as never)),
    readable(inv, "roleAssignments", drain(auth.roleAssignments.listForSubscription(capture(inv.roleAssignments) as never))),
    // The SDK puts the scope after a "/" of its own: give it without the leading one.
    readable(inv, "roleDefinitions", drain(auth.roleDefinitions.list(s.subscriptionScope.replace(/^\//, ""), { ...capture(inv.roleDefinitions), filter: "type eq 'CustomRole'" } as never))),
    principals(s).then((p) => { inv.principals = p; }),
  ]);
  await Promise.all([
    ...inv.privateDnsZones.map(async (z) => {
      const group = groupOf(String(z.id));
      await drain(dns.recordSets.listByType(group, String(z.name), "A", capture(inv.aRecordSets) as never));
      await drain(dns.virtualNetworkLinks.list(group, String(z.name), capture(inv.virtualNetworkLinks) as never));
    }),
    ...(opts.zoneGroups === false ? [] : inv.privateEndpoints).map((e) => drain(network.privateDnsZoneGroups.list(groupOf(String(e.id)), nameOf(String(e.id)), capture(inv.zoneGroups) as never))),
  ]);
  return inv;
}
