// One root cause for one client's Observation (live or modelled alike), with its evidence and the
// commands that fix it. The walk follows the client's path (name, DNS, route and endpoint state,
// data endpoint, TLS, public endpoint, login, role) and names the first break. When several things
// are wrong at once, the path the client is MEANT to use decides (docs/toolkit.md "Which cause"):
//   - a client whose VNet can route to a private endpoint of the registry (its own VNet, or a VNet
//     peered on both sides), or whose DNS already answers a private endpoint address, is meant to use
//     the private path: a public DNS answer there is DNS_PUBLIC_ANSWER, not the public endpoint's 403;
//   - any other client is meant to use the public path: its causes are the public endpoint's
//     (PUBLIC_ACCESS_DISABLED, FIREWALL_DENIED), or a linked zone that hides the public answer.
import { causeEntry, type CauseCode } from "./causes.js";
import { answeredAddress, type DnsSeen, type Observation } from "./observation.js";
import type { EndpointInfo, ReachabilityModel, RegistryInfo, VnetInfo, ZoneInfo } from "./model.js";
import * as fix from "./fixes.js";
import type { FixCommand } from "./fixes.js";

export type PathTaken =
  | { kind: "private"; endpointId: string; endpointName: string; ip: string }
  | { kind: "public" }
  | { kind: "none" };

export interface Verdict {
  ok: boolean;
  intended: "private" | "public";
  path: PathTaken;
  cause?: CauseCode;
  /** The step of the client's path where it broke (causes.ts `step`). */
  step?: string;
  summary: string;
  evidence: Record<string, string>;
  fix: FixCommand[];
}

export interface DiagnoseOptions {
  push?: boolean;
  /** The identity that logged in, for the fix commands (its appId and display name). */
  identity?: { appId: string; displayName?: string };
}

/** Everything the walk needs about where the client stands. */
interface Ctx {
  model: ReachabilityModel;
  reg: RegistryInfo;
  obs: Observation;
  vnet?: VnetInfo;
  subnetId?: string;
  reachable: EndpointInfo[];
  best?: EndpointInfo;
  linkedZone?: ZoneInfo;
  loginRel: string;
  dataRel?: string;
}

const dnsText = (d: DnsSeen | undefined): string =>
  !d ? "not asked" : d.kind === "address" ? d.ips.join(", ") : d.kind === "failed" ? `no answer (${d.message})` : d.kind.toUpperCase();

function context(model: ReachabilityModel, reg: RegistryInfo, obs: Observation): Ctx {
  const loc = model.snapshot.locate(obs.source);
  const vnet = loc ? model.vnet(loc.vnetId) : undefined;
  const mine = model.endpoints.filter((e) => e.registryKey === reg.key);
  const reachable = vnet ? mine.filter((e) => model.routable(vnet.id, e.vnetId)) : [];
  const best = reachable.find((e) => e.status === "Approved") ?? reachable[0];
  const pl = `privatelink.${model.suffix}`;
  const linkedZone = vnet ? model.zones.find((z) => z.name === pl && z.links.some((l) => l.vnetId.toLowerCase() === vnet.id.toLowerCase())) : undefined;
  const loginRel = reg.name.toLowerCase();
  return { model, reg, obs, vnet, subnetId: loc?.subnetId, reachable, best, linkedZone, loginRel, dataRel: reg.dataHost ? `${loginRel}.${reg.location}.data` : undefined };
}

function ipOf(e: EndpointInfo | undefined, data: boolean): string | undefined {
  return e?.ips.find((m) => (data ? m.member.startsWith("registry_data") : m.member === "registry"))?.ip;
}

function broken(c: Ctx, code: CauseCode, summary: string, evidence: Record<string, string>, fixes: FixCommand[], path: PathTaken = { kind: "none" }): Verdict {
  const intended = c.reachable.length > 0 || path.kind === "private" ? "private" : "public";
  const step = causeEntry(code).step;
  return { ok: false, intended, path, cause: code, step, summary, evidence: { client: c.obs.source, network: c.vnet ? `${c.vnet.name}/${nameOf(c.subnetId ?? "")}` : "internet", ...evidence }, fix: fixes };
}

const nameOf = (id: string) => id.slice(id.lastIndexOf("/") + 1);

/** The zone a fix writes records into: the one linked to the client's VNet, else any zone of the privatelink name. */
function recordZone(c: Ctx): ZoneInfo | undefined {
  return c.linkedZone ?? c.model.zones.find((z) => z.name === `privatelink.${c.model.suffix}`);
}

function replaceRecord(c: Ctx, rel: string, wrong: string[], right: string | undefined): FixCommand[] {
  const zone = recordZone(c);
  if (!zone) return [];
  const out: FixCommand[] = [];
  if (right && !wrong.includes(right)) out.push(fix.addRecord(zone, rel, right));
  for (const w of wrong) if (w !== right) out.push(fix.removeRecord(zone, rel, w));
  return out;
}

/** The data endpoint's record, put right beside the login server's, so that one fix opens the whole path. */
function dataFix(c: Ctx, zone: ZoneInfo | undefined, e: EndpointInfo | undefined): FixCommand[] {
  const right = ipOf(e, true);
  if (!zone || !right || !c.dataRel || !c.reg.dataHost) return [];
  const current = zone.records.get(c.dataRel) ?? [];
  if (current.length === 1 && current[0] === right) return [];
  const out = [fix.addRecord(zone, c.dataRel, right)];
  for (const w of current) if (w !== right) out.push(fix.removeRecord(zone, c.dataRel, w));
  return current.includes(right) ? out.slice(1) : out;
}

function endpointState(c: Ctx, e: EndpointInfo, ip: string): Verdict {
  const ev = { answered: ip, endpoint: e.name, connection: e.connectionName ?? "(none)", state: e.status };
  const path: PathTaken = { kind: "private", endpointId: e.id, endpointName: e.name, ip };
  if (e.status === "Pending") {
    return broken(c, "ENDPOINT_PENDING", `Private endpoint ${e.name} waits for approval; its IPs drop traffic until the registry's owner approves it.`, { ...ev, expected: "Approved" }, [fix.approve(c.reg, e)], path);
  }
  const code = e.status === "Rejected" ? "ENDPOINT_REJECTED" : "ENDPOINT_DISCONNECTED";
  const why = e.status === "Rejected" ? "was rejected" : "was removed on the registry side";
  return broken(c, code, `The connection of private endpoint ${e.name} ${why}; it cannot be approved again, so the endpoint is made anew.`, { ...ev, expected: "Approved" }, fix.recreateEndpoint(c.reg, e, recordZone(c)), path);
}

/**
 * Cove's listener status says the registry could not bind `ip` (Azure serves every endpoint IP and
 * sends no status): a client that DNS sends there meets nothing, its connection is refused. In
 * loopback mode the cause is the address (outside 127.0.0.0/8), and the endpoint moves to one.
 */
function notListening(c: Ctx, e: EndpointInfo, ip: string, host: string, path: PathTaken): Verdict | undefined {
  const l = e.ips.find((m) => m.ip === ip)?.listener;
  if (l?.state !== "Failed") return undefined;
  const loopback = /EADDRNOTAVAIL/.test(l.error ?? "");
  const why = loopback ? "in loopback mode Cove binds endpoint IPs on its own host, which serves 127.0.0.0/8 only; the connection is refused"
    : `${l.hint ?? "see the server's log"}; the registry does not answer there`;
  return broken(c, "ENDPOINT_NOT_LISTENING", `${host} resolves to ${ip} (endpoint ${e.name}), but the registry cannot listen there (${l.error ?? "bind failed"}): ${why}.`,
    { answered: ip, endpoint: e.name, listener: `Failed: ${l.error ?? "bind failed"}`, expected: "Listening" }, loopback ? fix.moveToLoopback(c.model, c.reg, e, recordZone(c)) : [], path);
}

/** The login server's answer: a private path, a public one, or the cause. */
function walkDns(c: Ctx): PathTaken | Verdict {
  const { obs, reg, model } = c;
  const d = obs.dns;
  if (d.kind === "failed") return broken(c, "UNEXPECTED", `The DNS server gave no answer for ${obs.host}.`, { answered: dnsText(d), expected: "an A record" }, []);
  if (d.kind !== "address") {
    if (reg.sku.toLowerCase() !== "premium") {
      const fixes = [fix.upgradeSku(reg)];
      if (c.vnet && c.subnetId) fixes.push(...fix.createEndpoint(reg, c.vnet.group, `${reg.name}-${c.vnet.name}-pe`, model.subnet(c.subnetId)?.id ?? c.subnetId, `${reg.name}-${c.vnet.name}`, c.linkedZone ? [{ name: "default", zoneIds: [c.linkedZone.id] }] : []));
      return broken(c, "SKU_UNSUPPORTED", `${c.vnet?.name ?? "This network"} resolves ${reg.name} through a linked privatelink zone, but a ${reg.sku} registry cannot have private endpoints.`, { answered: dnsText(d), expected: "a private endpoint address", sku: reg.sku }, fixes);
    }
    const zone = c.linkedZone;
    if (c.best) {
      const fixes: FixCommand[] = [];
      const ip = ipOf(c.best, false);
      if (zone && ip) fixes.push(fix.addRecord(zone, c.loginRel, ip));
      fixes.push(...dataFix(c, zone, c.best));
      if (c.best.status !== "Approved") fixes.push(...endpointState(c, c.best, ip ?? "").fix);
      return broken(c, "DNS_NXDOMAIN", `Zone ${zone?.name ?? "?"} is linked to ${c.vnet!.name} but has no record ${c.loginRel}; clients there get NXDOMAIN.`, { answered: dnsText(d), expected: ip ?? "a private endpoint address", zone: zone?.id ?? "" }, fixes);
    }
    const fixes = zone && c.vnet ? [fix.linkZone(zone, c.vnet, "NxDomainRedirect")] : [];
    return broken(c, "DNS_NXDOMAIN", `${c.vnet?.name ?? "This network"} has no private route to ${reg.name}, and its linked zone ${zone?.name ?? ""} answers NXDOMAIN instead of letting the public answer through.`, { answered: dnsText(d), expected: "the public endpoint (no private route)" }, fixes);
  }
  const ip = d.ips[0]!;
  const hit = model.endpointAtIp(ip);
  if (hit) {
    const e = hit.endpoint;
    const right = ipOf(c.best?.status === "Approved" ? c.best : undefined, false);
    if (e.registryKey !== reg.key || hit.member.member !== "registry") {
      return broken(c, "DNS_WRONG_ADDRESS", `${obs.host} resolves to ${ip}, which serves ${hit.member.fqdn || "another registry"}, not ${reg.host}.`, { answered: ip, expected: right ?? "a private endpoint of this registry", record: c.loginRel, zone: recordZone(c)?.id ?? "" }, [...replaceRecord(c, c.loginRel, d.ips, right), ...dataFix(c, recordZone(c), c.best)]);
    }
    if (!c.vnet || !model.routable(c.vnet.id, e.vnetId)) {
      const ownVnet = model.vnet(e.vnetId);
      if (right) {
        return broken(c, "DNS_WRONG_ADDRESS", `${obs.host} resolves to ${ip} (endpoint ${e.name} in ${ownVnet?.name ?? e.vnetId}), which this network cannot reach; its own endpoint ${c.best!.name} has ${right}. A zone shared across regions was overwritten by another zone group.`, { answered: ip, expected: right, record: c.loginRel, zone: recordZone(c)?.id ?? "" }, [...replaceRecord(c, c.loginRel, d.ips, right), ...dataFix(c, recordZone(c), c.best)]);
      }
      const peering = c.vnet && ownVnet ? fix.peer(c.vnet, ownVnet) : [];
      const oneSided = c.vnet && ownVnet && (c.vnet.peerings.some((p) => p.remoteVnetId.toLowerCase() === ownVnet.id.toLowerCase()) || ownVnet.peerings.some((p) => p.remoteVnetId.toLowerCase() === c.vnet!.id.toLowerCase()));
      return broken(c, "NO_ROUTE", `${obs.host} resolves to ${ip} in ${ownVnet?.name ?? e.vnetId}, but ${c.vnet?.name ?? "the client"} is ${oneSided ? "peered with it on one side only" : "not peered with it"}: the connection times out.`, { answered: ip, expected: `a route from ${c.vnet?.name ?? "the client"} to ${ownVnet?.name ?? e.vnetId}`, peering: oneSided ? "one-sided" : "none" }, peering, { kind: "private", endpointId: e.id, endpointName: e.name, ip });
    }
    const path: PathTaken = { kind: "private", endpointId: e.id, endpointName: e.name, ip };
    const unserved = notListening(c, e, ip, obs.host, path);
    if (unserved) return unserved;
    if (e.status !== "Approved") return endpointState(c, e, ip);
    return path;
  }
  const stale = c.linkedZone?.records.get(c.loginRel)?.includes(ip);
  if (stale) {
    const right = ipOf(c.best?.status === "Approved" ? c.best : undefined, false);
    return broken(c, "DNS_WRONG_ADDRESS", `Record ${c.loginRel} in ${c.linkedZone!.name} points at ${ip}, which no private endpoint holds.`, { answered: ip, expected: right ?? "a private endpoint address", record: c.loginRel, zone: recordZone(c)?.id ?? "" }, [...replaceRecord(c, c.loginRel, d.ips, right), ...dataFix(c, recordZone(c), c.best)]);
  }
  if (c.reachable.length > 0) {
    const best = c.best!;
    if (c.linkedZone) {
      const fixes = [fix.addRecord(c.linkedZone, c.loginRel, ipOf(best, false) ?? ""), ...dataFix(c, c.linkedZone, best)];
      return broken(c, "DNS_NXDOMAIN", `Zone ${c.linkedZone.name} is linked to ${c.vnet!.name} with NxDomainRedirect and has no record ${c.loginRel}, so the public answer comes through.`, { answered: `${ip} (public)`, expected: ipOf(best, false) ?? "" }, fixes);
    }
    const zone = recordZone(c);
    const fixes = zone ? [fix.linkZone(zone, c.vnet!)] : [];
    if (zone && !(zone.records.get(c.loginRel) ?? []).length && ipOf(best, false)) fixes.push(fix.addRecord(zone, c.loginRel, ipOf(best, false)!));
    fixes.push(...dataFix(c, zone, best));
    if (best.status !== "Approved") fixes.push(...endpointState(c, best, ipOf(best, false) ?? "").fix);
    return broken(c, "DNS_PUBLIC_ANSWER", `${c.vnet!.name} can reach private endpoint ${best.name}, but no privatelink zone is linked to it, so ${obs.host} resolves to the public endpoint.`, { answered: `${ip} (public)`, expected: ipOf(best, false) ?? "a private endpoint address", zone: zone?.id ?? "none" }, fixes);
  }
  return { kind: "public" };
}

function walkData(c: Ctx, path: PathTaken & { kind: "private" }): Verdict | undefined {
  const { obs, model, reg } = c;
  if (!reg.dataHost || !obs.dataDns || !c.dataRel) return undefined;
  const e = model.endpoint(path.endpointId)!;
  const right = ipOf(e, true);
  const d = obs.dataDns;
  if (d.kind === "failed") return broken(c, "UNEXPECTED", `The DNS server gave no answer for ${reg.dataHost}.`, { answered: dnsText(d) }, [], path);
  const ip = d.kind === "address" ? d.ips[0]! : undefined;
  const hit = ip ? model.endpointAtIp(ip) : undefined;
  if (hit && hit.endpoint.registryKey === reg.key && hit.member.member.startsWith("registry_data") && hit.endpoint.status === "Approved" && c.vnet && model.routable(c.vnet.id, hit.endpoint.vnetId)) return undefined;
  const zone = recordZone(c);
  const inZone = ip !== undefined && (zone?.records.get(c.dataRel) ?? []).includes(ip);
  if (d.kind !== "address" || (!hit && !inZone)) {
    return broken(c, "DNS_NO_DATA_RECORD", `${obs.host} resolves privately, but ${reg.dataHost} ${d.kind === "address" ? "resolves to the public endpoint" : "does not resolve"}: layer downloads fail.`, { answered: dnsText(d), expected: right ?? "", record: c.dataRel }, zone && right ? [fix.addRecord(zone, c.dataRel, right)] : [], path);
  }
  return broken(c, "DNS_WRONG_ADDRESS", `${reg.dataHost} resolves to ${ip}, not to the data address ${right} of endpoint ${e.name}.`, { answered: ip!, expected: right ?? "", record: c.dataRel, zone: recordZone(c)?.id ?? "" }, replaceRecord(c, c.dataRel, d.ips, right), path);
}

export function diagnose(model: ReachabilityModel, reg: RegistryInfo, obs: Observation, opts: DiagnoseOptions = {}): Verdict {
  const c = context(model, reg, obs);
  const certified = obs.host === reg.host || obs.host === reg.dataHost;
  if (!certified && (obs.transport?.kind !== "ok" || !obs.content)) {
    return broken(c, "TLS_NAME_MISMATCH", `${obs.host} is not the registry's name; its certificate covers ${reg.host}. Use the login server: the privatelink CNAME is followed by DNS.`, { used: obs.host, expected: reg.host, tls: obs.transport?.kind === "name-mismatch" ? obs.transport.detail : "not reached" }, [fix.showLoginServer(reg)]);
  }
  const walked = walkDns(c);
  if ("ok" in walked) return walked;
  const path = walked;
  if (path.kind === "private") {
    const data = walkData(c, path);
    if (data) return data;
    const dataIp = answeredAddress(obs.dataDns);
    const hit = dataIp ? model.endpointAtIp(dataIp) : undefined;
    const unserved = hit && notListening(c, hit.endpoint, dataIp!, reg.dataHost ?? obs.host, path);
    if (unserved) return unserved;
  }
  const t = obs.transport;
  if (!t || t.kind !== "ok") {
    if (t?.kind === "name-mismatch") return broken(c, "TLS_NAME_MISMATCH", `The certificate does not cover ${obs.host}.`, { used: obs.host, expected: reg.host, tls: t.detail }, [fix.showLoginServer(reg)], path);
    return broken(c, "UNEXPECTED", `The connection to ${dnsText(obs.dns)}:${obs.port} failed although the configuration allows it.`, { transport: t ? `${t.kind}: ${t.detail}` : "not attempted" }, [], path);
  }
  const ch = obs.challenge;
  if (ch?.status === 403 && path.kind === "public") {
    if (reg.publicNetworkAccess === "Disabled") {
      return broken(c, "PUBLIC_ACCESS_DISABLED", `${c.vnet ? c.vnet.name : "The internet"} has no private path to ${reg.name}, and public network access is disabled.`, { answered: `403 ${ch.code ?? ""}`, expected: "401 challenge", publicNetworkAccess: "Disabled" }, fix.allowClient(reg, obs.source, true), path);
    }
    return broken(c, "FIREWALL_DENIED", `The registry's firewall (default action ${reg.defaultAction}) has no IP rule for ${obs.source}.`, { answered: `403 ${ch.code ?? ""}`, expected: "401 challenge", ipRules: reg.ipRules.join(", ") || "none" }, fix.allowClient(reg, obs.source, false), path);
  }
  if (!ch || (ch.status !== 401 && ch.status !== 200)) return broken(c, "UNEXPECTED", `GET /v2/ answered ${ch?.status ?? "nothing"}.`, { answered: String(ch?.status ?? "none"), expected: "401 challenge" }, [], path);
  const role = opts.push ? "AcrPush" : "AcrPull";
  const ok = (summary: string): Verdict => ({ ok: true, intended: path.kind === "private" ? "private" : "public", path, summary, evidence: { client: obs.source }, fix: [] });
  if (!obs.login) return ok(`${obs.host} is reachable ${path.kind === "private" ? `privately through ${path.endpointName}` : "through the public endpoint"} (identity not checked).`);
  const id = opts.identity;
  if (obs.login.status !== 200) {
    return broken(c, "AUTH_FAILED", `The registry refused the identity's login (${obs.login.status}${obs.login.code ? " " + obs.login.code : ""}).`, { answered: `${obs.login.status} ${obs.login.message ?? ""}`.trim(), expected: "200 with a refresh token" }, id ? [fix.newSecret(reg, id.displayName ?? `${reg.name}-${role === "AcrPush" ? "push" : "pull"}`, role)] : [], path);
  }
  const wanted = opts.push ? ["pull", "push"] : ["pull"];
  const missing = wanted.filter((a) => !(obs.token?.actions ?? []).includes(a));
  if (!obs.token || obs.token.status !== 200 || missing.length) {
    return broken(c, "ROLE_MISSING", `The identity logs in but holds no role granting ${missing.join(" and ") || "pull"} on ${reg.name} (${role} needed).`, { answered: `token actions: ${(obs.token?.actions ?? []).join(",") || "none"}`, expected: wanted.join(",") }, id ? [fix.grantRole(reg, id.appId, role)] : [], path);
  }
  if (!obs.content || obs.content.status >= 300) return broken(c, "UNEXPECTED", `The test artifact could not be ${opts.push ? "pushed" : "pulled"} (${obs.content?.status ?? "not tried"}).`, { answered: `${obs.content?.status ?? ""} ${obs.content?.detail ?? ""}`.trim() }, [], path);
  return ok(`${obs.host} works ${path.kind === "private" ? `privately through ${path.endpointName} (${path.ip})` : "through the public endpoint"}.`);
}

/** The verdict when the registry itself is missing. */
export function registryMissing(model: ReachabilityModel, name: string, source: string): Verdict {
  const loc = model.snapshot.locate(source);
  const vnet = loc ? model.vnet(loc.vnetId) : undefined;
  const group = vnet?.group ?? model.registries[0]?.group ?? model.vnets[0]?.group ?? `${name}-rg`;
  return {
    ok: false, intended: "public", path: { kind: "none" }, cause: "REGISTRY_NOT_FOUND", step: "registry",
    summary: `No registry named ${name} exists in the subscription.`,
    evidence: { client: source, registry: name, known: model.registries.map((r) => r.name).join(", ") || "none" },
    fix: [fix.createRegistry(name, group, model.registries[0]?.location ?? "westeurope")],
  };
}
