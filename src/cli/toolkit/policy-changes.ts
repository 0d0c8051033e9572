// What a fix command would write, as the resource it would leave behind: the document Azure Policy
// evaluates (checkPolicyRestrictions' resourceDetails.resourceContent). Derived from the printed
// `cove` command itself (the words fixes.ts writes), so the check is of exactly the command the
// user would run, and from the resources as the inventory read them. Within one fix the commands
// build on each other: `acr network-rule add` after `acr update --public-network-enabled true`
// leaves a registry with public access on and the rule. Commands that write no resource a policy
// can refuse (deletes, `acr show`, role assignments, service principals) propose nothing. Pure.
import type { FixCommand } from "../../network-policy/reachability/fixes.js";
import { withInlineChildren, type ArmInventory, type ArmJson } from "../../network-policy/reachability/inventory.js";

/** The api-versions the CLI's SDK clients send for these types (arm-containerregistry 12, arm-network 39, arm-privatedns 4). */
export const API_VERSION = { registry: "2025-11-01", network: "2026-01-01", privateDns: "2024-06-01" } as const;

export interface ProposedChange {
  /** The command of the fix (its index) that leaves the resource this way. */
  fixIndex: number;
  /** The resource group the request would be sent to (checkAtResourceGroupScope's). */
  group: string;
  resourceId: string;
  content: ArmJson;
  apiVersion: string;
  /** The parent resource of a child resource (checkPolicyRestrictions' resourceDetails.scope). */
  scope?: string;
}

const low = (v: unknown) => String(v ?? "").toLowerCase();
const clone = <T>(v: T): T => structuredClone(v);

/** A printed command's words: fixes.ts quotes with single quotes ('\'' for a quote inside). */
export function commandWords(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return [];
      cur += line.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (ch === "\\" && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (ch === " ") {
      if (inWord) out.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

/** The command's verb words (before the first flag) and its flags. */
function parse(words: string[]): { verb: string; flags: Map<string, string> } {
  const first = words.findIndex((w) => w.startsWith("-"));
  const verbWords = words.slice(1, first < 0 ? undefined : first);
  const flags = new Map<string, string>();
  for (let i = first < 0 ? words.length : first; i < words.length; i++) {
    const w = words[i]!;
    if (!w.startsWith("-")) continue;
    const next = words[i + 1];
    if (next !== undefined && !next.startsWith("-")) { flags.set(w, next); i++; } else flags.set(w, "true");
  }
  return { verb: verbWords.join(" "), flags };
}

const flag = (f: Map<string, string>, ...names: string[]) => names.map((n) => f.get(n)).find((v) => v !== undefined);

interface Ctx {
  inv: ArmInventory;
  sub: string;
  /** The resources as the fix leaves them so far, by lower-cased id. */
  state: Map<string, ArmJson>;
}

function current(c: Ctx, id: string, list: readonly ArmJson[], fresh: () => ArmJson): ArmJson {
  const key = low(id);
  const doc = c.state.get(key) ?? clone(list.find((d) => low(d.id) === key) ?? fresh());
  c.state.set(key, doc);
  return doc;
}

const rgId = (c: Ctx, g: string) => `/subscriptions/${c.sub}/resourceGroups/${g}`;

function registryChange(c: Ctx, f: Map<string, string>, edit: (doc: ArmJson) => void): Omit<ProposedChange, "fixIndex"> | undefined {
  const name = flag(f, "-n", "--name");
  const group = flag(f, "-g", "--resource-group");
  if (!name || !group) return undefined;
  const id = `${rgId(c, group)}/providers/Microsoft.ContainerRegistry/registries/${name}`;
  const doc = current(c, id, c.inv.registries, () => ({ id, name, type: "Microsoft.ContainerRegistry/registries", properties: {} }));
  doc.properties ??= {};
  edit(doc);
  return { group, resourceId: id, content: doc, apiVersion: API_VERSION.registry };
}

function change(c: Ctx, words: string[]): Omit<ProposedChange, "fixIndex"> | undefined {
  const { verb, flags: f } = parse(words);
  const group = flag(f, "-g", "--resource-group") ?? "";
  switch (verb) {
    case "acr update":
      return registryChange(c, f, (doc) => {
        const p = doc.properties;
        const pub = f.get("--public-network-enabled");
        if (pub !== undefined) p.publicNetworkAccess = pub === "true" ? "Enabled" : "Disabled";
        const action = f.get("--default-action");
        if (action) p.networkRuleSet = { ...(p.networkRuleSet ?? { ipRules: [] }), defaultAction: action };
        const sku = f.get("--sku");
        if (sku) doc.sku = { ...(doc.sku ?? {}), name: sku, tier: sku };
      });
    case "acr network-rule add":
      return registryChange(c, f, (doc) => {
        const p = doc.properties;
        const rules = p.networkRuleSet ?? { defaultAction: "Allow", ipRules: [] };
        p.networkRuleSet = { ...rules, ipRules: [...(rules.ipRules ?? []), { action: "Allow", value: f.get("--ip-address") }] };
      });
    case "acr create": {
      const name = flag(f, "-n", "--name");
      if (!name || !group) return undefined;
      return registryChange(c, f, (doc) => {
        const sku = f.get("--sku") ?? "Standard";
        Object.assign(doc, { location: f.get("-l") ?? f.get("--location"), sku: { name: sku, tier: sku } });
        // What a new registry is when the request does not say (ACR's defaults).
        doc.properties = { adminUserEnabled: false, publicNetworkAccess: "Enabled", ...doc.properties };
      });
    }
    case "acr private-endpoint-connection approve": {
      const reg = flag(f, "-r", "--registry-name");
      const name = flag(f, "-n", "--name");
      if (!reg || !name || !group) return undefined;
      const parent = `${rgId(c, group)}/providers/Microsoft.ContainerRegistry/registries/${reg}`;
      const id = `${parent}/privateEndpointConnections/${name}`;
      const doc = current(c, id, withInlineChildren(c.inv).connections, () => ({ id, name, type: "Microsoft.ContainerRegistry/registries/privateEndpointConnections", properties: {} }));
      doc.properties = { ...(doc.properties ?? {}), privateLinkServiceConnectionState: { status: "Approved", description: f.get("--description") ?? "", actionsRequired: "None" } };
      return { group, resourceId: id, content: doc, apiVersion: API_VERSION.registry, scope: parent };
    }
    case "network private-endpoint create": {
      const name = flag(f, "-n", "--name");
      const subnet = f.get("--subnet");
      if (!name || !group || !subnet) return undefined;
      const id = `${rgId(c, group)}/providers/Microsoft.Network/privateEndpoints/${name}`;
      const vnetId = low(subnet.slice(0, low(subnet).lastIndexOf("/subnets/")));
      const location = c.inv.virtualNetworks.find((v) => low(v.id) === vnetId)?.location;
      const doc: ArmJson = {
        id, name, type: "Microsoft.Network/privateEndpoints", ...(location ? { location } : {}),
        properties: {
          subnet: { id: subnet },
          privateLinkServiceConnections: [{
            name: f.get("--connection-name") ?? name,
            properties: { privateLinkServiceId: f.get("--private-connection-resource-id"), groupIds: [f.get("--group-id") ?? "registry"] },
          }],
          manualPrivateLinkServiceConnections: [],
        },
      };
      c.state.set(low(id), doc);
      return { group, resourceId: id, content: doc, apiVersion: API_VERSION.network };
    }
    case "network private-endpoint dns-zone-group create": {
      const endpoint = f.get("--endpoint-name");
      const name = flag(f, "-n", "--name");
      const zone = f.get("--private-dns-zone");
      if (!endpoint || !name || !group || !zone) return undefined;
      const parent = `${rgId(c, group)}/providers/Microsoft.Network/privateEndpoints/${endpoint}`;
      const id = `${parent}/privateDnsZoneGroups/${name}`;
      const doc = current(c, id, c.inv.zoneGroups, () => ({ id, name, type: "Microsoft.Network/privateEndpoints/privateDnsZoneGroups", properties: { privateDnsZoneConfigs: [] } }));
      const configs = ((doc.properties ??= {}).privateDnsZoneConfigs ??= []) as ArmJson[];
      configs.push({ name: f.get("--zone-name") ?? zone.slice(zone.lastIndexOf("/") + 1), properties: { privateDnsZoneId: zone } });
      return { group, resourceId: id, content: doc, apiVersion: API_VERSION.network, scope: parent };
    }
    case "network private-dns link vnet create": {
      const zone = flag(f, "-z", "--zone-name");
      const name = flag(f, "-n", "--name");
      if (!zone || !name || !group) return undefined;
      const parent = `${rgId(c, group)}/providers/Microsoft.Network/privateDnsZones/${zone}`;
      const id = `${parent}/virtualNetworkLinks/${name}`;
      const doc = current(c, id, c.inv.virtualNetworkLinks, () => ({ id, name, type: "Microsoft.Network/privateDnsZones/virtualNetworkLinks", location: "global", properties: {} }));
      const policy = f.get("--resolution-policy");
      doc.properties = {
        ...(doc.properties ?? {}), virtualNetwork: { id: flag(f, "-v", "--virtual-network") }, registrationEnabled: flag(f, "-e", "--registration-enabled") === "true",
        ...(policy ? { resolutionPolicy: policy } : {}),
      };
      return { group, resourceId: id, content: doc, apiVersion: API_VERSION.privateDns, scope: parent };
    }
    case "network private-dns record-set a add-record":
    case "network private-dns record-set a remove-record": {
      const zone = flag(f, "-z", "--zone-name");
      const name = flag(f, "-n", "--record-set-name");
      const ip = flag(f, "-a", "--ipv4-address");
      if (!zone || !name || !group || !ip) return undefined;
      const parent = `${rgId(c, group)}/providers/Microsoft.Network/privateDnsZones/${zone}`;
      const id = `${parent}/A/${name}`;
      const doc = current(c, id, c.inv.aRecordSets, () => ({ id, name, type: "Microsoft.Network/privateDnsZones/A", properties: { ttl: 3600, aRecords: [] } }));
      const records = ((doc.properties ??= {}).aRecords ?? []) as { ipv4Address?: string }[];
      doc.properties.aRecords = verb.endsWith("add-record") ? [...records.filter((r) => r.ipv4Address !== ip), { ipv4Address: ip }] : records.filter((r) => r.ipv4Address !== ip);
      return { group, resourceId: id, content: doc, apiVersion: API_VERSION.privateDns, scope: parent };
    }
    case "network vnet peering create": {
      const vnet = f.get("--vnet-name");
      const name = flag(f, "-n", "--name");
      if (!vnet || !name || !group) return undefined;
      const parent = `${rgId(c, group)}/providers/Microsoft.Network/virtualNetworks/${vnet}`;
      const id = `${parent}/virtualNetworkPeerings/${name}`;
      const doc = current(c, id, withInlineChildren(c.inv).peerings, () => ({ id, name, type: "Microsoft.Network/virtualNetworks/virtualNetworkPeerings", properties: {} }));
      doc.properties = { ...(doc.properties ?? {}), remoteVirtualNetwork: { id: f.get("--remote-vnet") }, allowVirtualNetworkAccess: f.has("--allow-vnet-access") };
      return { group, resourceId: id, content: doc, apiVersion: API_VERSION.network, scope: parent };
    }
    default:
      return undefined;
  }
}

/** The resources each command of one fix would leave, in the fix's order (one entry per command that writes one). */
export function proposedChanges(inv: ArmInventory, subscriptionId: string, fix: readonly FixCommand[]): ProposedChange[] {
  const c: Ctx = { inv, sub: subscriptionId, state: new Map() };
  const out: ProposedChange[] = [];
  fix.forEach((f, fixIndex) => {
    const words = commandWords(f.cove);
    if (words[0] !== "cove") return;
    const made = change(c, words);
    // A snapshot: a later command of the same fix edits the same document further.
    if (made) out.push({ ...made, content: clone(made.content), fixIndex });
  });
  return out;
}
