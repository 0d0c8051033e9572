// The commands that fix a root cause, with the real names filled in: each a `cove` command and its
// `az` equivalent, in the order they are to be run. Built from the model only, so the same fix
// shows in preflight, the report and the page. Arguments are quoted for a POSIX shell when needed.
import { parseCidr } from "../../domain/network.js";
import type { EndpointInfo, ReachabilityModel, RegistryInfo, VnetInfo, ZoneInfo } from "./model.js";

export interface FixCommand {
  cove: string;
  az: string;
}

const SAFE = /^[A-Za-z0-9_./:=@%+,-]+$/;
export function shellQuote(arg: string): string {
  return SAFE.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
function cmd(words: string[], azWords?: string[]): FixCommand {
  const line = (w: string[]) => w.map(shellQuote).join(" ");
  return { cove: `cove ${line(words)}`, az: `az ${line(azWords ?? words)}` };
}

const nameOf = (id: string) => id.slice(id.lastIndexOf("/") + 1);

/** The record set name of a host inside a zone: "myreg" for myreg.privatelink.cove.test in privatelink.cove.test. */
export function recordName(model: ReachabilityModel, host: string): string {
  return host.toLowerCase().slice(0, -(model.suffix.length + 1));
}

export function addRecord(zone: ZoneInfo, rel: string, ip: string): FixCommand {
  return cmd(["network", "private-dns", "record-set", "a", "add-record", "-g", zone.group, "-z", zone.name, "-n", rel, "-a", ip]);
}

export function removeRecord(zone: ZoneInfo, rel: string, ip: string): FixCommand {
  return cmd(["network", "private-dns", "record-set", "a", "remove-record", "-g", zone.group, "-z", zone.name, "-n", rel, "-a", ip]);
}

export function linkZone(zone: ZoneInfo, vnet: VnetInfo | { id: string; name: string }, policy?: "NxDomainRedirect"): FixCommand {
  const existing = zone.links.find((l) => l.vnetId.toLowerCase() === vnet.id.toLowerCase());
  const name = existing?.name ?? `${vnet.name}-link`;
  const words = ["network", "private-dns", "link", "vnet", "create", "-g", zone.group, "-z", zone.name, "-n", name, "-v", vnet.id, "-e", "false"];
  if (policy) {
    const az = ["network", "private-dns", "link", "vnet", "update", "-g", zone.group, "-z", zone.name, "-n", name, "--resolution-policy", policy];
    return cmd([...words, "--resolution-policy", policy], az);
  }
  return cmd(words);
}

export function approve(reg: RegistryInfo, e: EndpointInfo): FixCommand {
  const words = ["acr", "private-endpoint-connection", "approve", "-r", reg.name, "-g", reg.group, "-n", e.connectionName ?? e.name, "--description", `Approved for ${nameOf(e.vnetId)}`];
  return cmd(words);
}

/** A rejected or disconnected connection cannot be approved again: the endpoint is made anew, with its zone groups. */
export function recreateEndpoint(reg: RegistryInfo, e: EndpointInfo, fallbackZone?: ZoneInfo): FixCommand[] {
  const out = [cmd(["network", "private-endpoint", "delete", "-g", e.group, "-n", e.name])];
  out.push(...createEndpoint(reg, e.group, e.name, e.subnetId, e.connectionName ?? `${e.name}-connection`, e.zoneGroups.length ? e.zoneGroups : fallbackZone ? [{ name: "default", zoneIds: [fallbackZone.id] }] : []));
  return out;
}

export function createEndpoint(reg: RegistryInfo, group: string, name: string, subnetId: string, connection: string, zoneGroups: { name: string; zoneIds: string[] }[]): FixCommand[] {
  const out = [cmd(["network", "private-endpoint", "create", "-g", group, "-n", name, "--subnet", subnetId, "--private-connection-resource-id", reg.id, "--group-id", "registry", "--connection-name", connection])];
  for (const g of zoneGroups) {
    for (const z of g.zoneIds) {
      out.push(cmd(["network", "private-endpoint", "dns-zone-group", "create", "-g", group, "--endpoint-name", name, "-n", g.name, "--private-dns-zone", z, "--zone-name", nameOf(z).replace(/\./g, "-")]));
    }
  }
  return out;
}

/** Both sides of a peering must exist; only the missing ones are created. */
export function peer(a: VnetInfo, b: VnetInfo): FixCommand[] {
  const out: FixCommand[] = [];
  for (const [x, y] of [[a, b], [b, a]] as const) {
    const has = x.peerings.some((p) => p.remoteVnetId.toLowerCase() === y.id.toLowerCase());
    if (has) continue;
    out.push(cmd(["network", "vnet", "peering", "create", "-g", x.group, "-n", `${x.name}-to-${y.name}`, "--vnet-name", x.name, "--remote-vnet", y.id, "--allow-vnet-access"]));
  }
  return out;
}

/** The first 127.N.0.0/16 (from 127.16, clear of Cove's own 127.0.0.1) that overlaps no VNet or subnet of the model. */
export function freeLoopbackPrefix(model: ReachabilityModel): number | undefined {
  const taken = [...model.vnets.flatMap((v) => v.prefixes), ...model.subnets.flatMap((s) => s.prefixes)]
    .map((p) => parseCidr(p)).flatMap((r) => (r.ok ? [r.cidr] : []));
  for (let n = 16; n < 256; n++) {
    const base = (127 * 2 ** 24) + n * 2 ** 16;
    const end = base + 2 ** 16 - 1;
    if (!taken.some((c) => c.base <= end && base <= c.base + c.size - 1)) return n;
  }
  return undefined;
}

/**
 * Loopback mode serves endpoint IPs inside 127.0.0.0/8 only (the prefix rule of
 * `network private-endpoint create`'s warning): the endpoint moves to a new VNet in a free loopback
 * /16 with a subnet of the same name, keeps its name, connection and zone groups, and the new VNet is
 * peered with every VNet the old one was peered with on both sides, so the same clients reach it.
 */
export function moveToLoopback(model: ReachabilityModel, reg: RegistryInfo, e: EndpointInfo, fallbackZone?: ZoneInfo): FixCommand[] {
  const n = freeLoopbackPrefix(model);
  const old = model.vnet(e.vnetId);
  if (n === undefined || !old) return [];
  const taken = new Set(model.vnets.filter((v) => v.group.toLowerCase() === old.group.toLowerCase()).map((v) => v.name.toLowerCase()));
  let name = `${old.name}-loopback`;
  for (let i = 2; taken.has(name.toLowerCase()); i++) name = `${old.name}-loopback-${i}`;
  const subnet = nameOf(e.subnetId);
  const id = `${old.id.slice(0, old.id.lastIndexOf("/"))}/${name}`;
  const moved: VnetInfo = { id, name, group: old.group, location: old.location, prefixes: [`127.${n}.0.0/16`], subnets: [], peerings: [] };
  const out = [cmd(["network", "vnet", "create", "-g", old.group, "-n", name, "--address-prefixes", `127.${n}.0.0/16`, "--subnet-name", subnet, "--subnet-prefixes", `127.${n}.1.0/24`])];
  out.push(...recreateEndpoint(reg, { ...e, subnetId: `${id}/subnets/${subnet}` }, fallbackZone));
  for (const v of model.vnets) if (v.id.toLowerCase() !== old.id.toLowerCase() && model.routable(v.id, old.id)) out.push(...peer(moved, v));
  return out;
}

export function allowClient(reg: RegistryInfo, ip: string, enablePublic: boolean): FixCommand[] {
  const out: FixCommand[] = [];
  if (enablePublic) {
    out.push(cmd(["acr", "update", "-n", reg.name, "-g", reg.group, "--public-network-enabled", "true", "--default-action", "Deny"]));
  }
  out.push(cmd(["acr", "network-rule", "add", "-n", reg.name, "-g", reg.group, "--ip-address", ip]));
  return out;
}

export function grantRole(reg: RegistryInfo, assignee: string, role: "AcrPull" | "AcrPush"): FixCommand {
  return cmd(["role", "assignment", "create", "--assignee", assignee, "--role", role, "--scope", reg.id]);
}

export function newSecret(reg: RegistryInfo, displayName: string, role: "AcrPull" | "AcrPush"): FixCommand {
  return cmd(["ad", "sp", "create-for-rbac", "-n", displayName, "--role", role, "--scopes", reg.id]);
}

export function upgradeSku(reg: RegistryInfo): FixCommand {
  return cmd(["acr", "update", "-n", reg.name, "-g", reg.group, "--sku", "Premium"]);
}

export function showLoginServer(reg: RegistryInfo): FixCommand {
  return cmd(["acr", "show", "-n", reg.name, "-g", reg.group, "--query", "loginServer", "-o", "tsv"]);
}

export function createRegistry(name: string, group: string, location: string): FixCommand {
  return cmd(["acr", "create", "-n", name, "-g", group, "-l", location, "--sku", "Premium"]);
}
