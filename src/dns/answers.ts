// What Cove answers for one (name, type) in one view: DESIGN.md section 5 and acr-networking.md
// section 3. For "<reg>.<suffix>" (and "<reg>.<location>.data.<suffix>") the public zone answers
// CNAME "<...>.privatelink.<suffix>"; the target is then resolved in the same view: from a linked
// privatelink zone (its A record and TTL; NXDOMAIN with the zone's SOA when the record is missing,
// unless the link says NxDomainRedirect), otherwise publicly (the public endpoint address).
// Pure: (snapshot, view, name, type) -> sections; the server encodes and caches the result.

import type { Answer } from "dns-packet";
import type { NetworkSnapshot } from "../network-policy/types.js";
import type { RcodeName } from "./rcodes.js";
import { type View, linkedZoneFor } from "./views.js";
import {
  PUBLIC_A_TTL, PUBLIC_CNAME_TTL, inZone, privateNs, privateSoa, privatelinkZone, publicNameServer,
  publicNs, publicSoa, relative,
} from "./zones.js";

export const QTYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, AAAA: 28, IXFR: 251, AXFR: 252, ANY: 255 } as const;

export type Resolution =
  | { kind: "answer"; rcode: RcodeName; answers: Answer[]; authorities: Answer[] }
  /** Not in any zone Cove serves for this client: forward upstream or REFUSED. */
  | { kind: "outside" };

export interface AnswerContext {
  snapshot: NetworkSnapshot;
  view: View;
  /** IPv4 address of the DNS server, the A record of "ns1.<suffix>" (absent: no address record). */
  nsAddress?: string;
}

type Step =
  | { kind: "records"; rrs: Answer[] }
  | { kind: "cname"; rr: Answer; target: string }
  | { kind: "nodata"; soa: Answer }
  | { kind: "nxdomain"; soa: Answer }
  | { kind: "outside" };

const MAX_CHAIN = 8;

export function resolve(ctx: AnswerContext, qname: string, qtype: number): Resolution {
  const answers: Answer[] = [];
  let name = qname;
  for (let hop = 0; hop < MAX_CHAIN; hop++) {
    const step = lookup(ctx, name, qtype);
    switch (step.kind) {
      case "records":
        answers.push(...step.rrs);
        return { kind: "answer", rcode: "NOERROR", answers, authorities: [] };
      case "cname":
        answers.push(step.rr);
        if (qtype === QTYPE.CNAME) return { kind: "answer", rcode: "NOERROR", answers, authorities: [] };
        name = step.target;
        break;
      case "nodata":
        return { kind: "answer", rcode: "NOERROR", answers, authorities: [step.soa] };
      case "nxdomain":
        // RFC 6604: after a CNAME the rcode describes the last name of the chain.
        return { kind: "answer", rcode: "NXDOMAIN", answers, authorities: [step.soa] };
      case "outside":
        if (answers.length === 0) return { kind: "outside" };
        return { kind: "answer", rcode: "NOERROR", answers, authorities: [] };
    }
  }
  return { kind: "answer", rcode: "SERVFAIL", answers: [], authorities: [] };
}

function lookup(ctx: AnswerContext, name: string, qtype: number): Step {
  const zoneName = linkedZoneFor(ctx.view, name);
  if (zoneName !== undefined) {
    const zoneId = ctx.view.zoneIds.get(zoneName);
    const zone = (zoneId !== undefined ? ctx.snapshot.zoneById?.(zoneId) : undefined) ?? ctx.snapshot.zone(zoneName);
    if (zone) {
      const soa = privateSoa(zoneName);
      const rel = relative(name, zoneName);
      if (rel === "@") {
        if (qtype === QTYPE.SOA) return { kind: "records", rrs: [soa] };
        if (qtype === QTYPE.NS) return { kind: "records", rrs: [privateNs(zoneName)] };
      }
      const rec = zone.records.get(rel);
      if (rec && rec.ips.length > 0) {
        if (qtype === QTYPE.A || qtype === QTYPE.ANY) return { kind: "records", rrs: aRecords(name, rec.ttl, rec.ips) };
        return { kind: "nodata", soa };
      }
      if (rel === "@" || hasDescendant(zone.records, rel)) return { kind: "nodata", soa };
      if (ctx.view.links.get(zoneName) !== "NxDomainRedirect") return { kind: "nxdomain", soa };
      // NxDomainRedirect: the public answer (learn.microsoft.com/azure/dns/private-dns-fallback).
    }
  }
  return publicLookup(ctx, name, qtype);
}

/** An empty non-terminal ("westus.data" when "reg.westus.data" exists) exists: NODATA, not NXDOMAIN (RFC 8020). */
function hasDescendant(records: ReadonlyMap<string, unknown>, rel: string): boolean {
  const tail = "." + rel;
  for (const key of records.keys()) if (key.endsWith(tail)) return true;
  return false;
}

function aRecords(name: string, ttl: number, ips: string[]): Answer[] {
  return ips.map((ip) => ({ name, type: "A", ttl, class: "IN", data: ip }) as Answer);
}

function publicLookup(ctx: AnswerContext, name: string, qtype: number): Step {
  const { snapshot } = ctx;
  const suffix = snapshot.suffix.toLowerCase();
  const pl = privatelinkZone(suffix);
  const serial = Math.max(1, snapshot.version);
  for (const zone of [pl, suffix]) {
    if (!inZone(name, zone)) continue;
    const soa = publicSoa(zone, suffix, serial);
    const rel = relative(name, zone);
    if (rel === "@") {
      if (qtype === QTYPE.SOA) return { kind: "records", rrs: [soa] };
      if (qtype === QTYPE.NS) return { kind: "records", rrs: [publicNs(zone, suffix)] };
      return { kind: "nodata", soa };
    }
    const labels = rel.split(".");
    if (zone === suffix && name === publicNameServer(suffix)) {
      if (ctx.nsAddress && (qtype === QTYPE.A || qtype === QTYPE.ANY)) return { kind: "records", rrs: aRecords(name, PUBLIC_CNAME_TTL, [ctx.nsAddress]) };
      return { kind: "nodata", soa };
    }
    if (registryName(snapshot, labels, zone === suffix ? name : `${rel}.${suffix}`)) {
      if (zone === suffix) {
        const target = `${rel}.${pl}`;
        return { kind: "cname", rr: { name, type: "CNAME", ttl: PUBLIC_CNAME_TTL, class: "IN", data: target }, target };
      }
      if (qtype === QTYPE.A || qtype === QTYPE.ANY) return { kind: "records", rrs: aRecords(name, PUBLIC_A_TTL, [snapshot.publicAddress]) };
      return { kind: "nodata", soa };
    }
    // "data" and "<location>.data" may hold data endpoint names: empty non-terminals, never NXDOMAIN,
    // so that resolvers that cut below an NXDOMAIN (RFC 8020) still find "<reg>.<location>.data".
    const last = labels[labels.length - 1];
    if (last === "data" && labels.length <= 2) return { kind: "nodata", soa };
    return { kind: "nxdomain", soa };
  }
  return { kind: "outside" };
}

/** Whether the labels name an existing registry's login server ("<reg>") or data endpoint
 *  ("<reg>.<location>.data": the registry's home or a replica's location, with data endpoints enabled or a private
 *  endpoint serving that name). `publicName` is the name under the suffix. */
function registryName(snapshot: NetworkSnapshot, labels: string[], publicName: string): boolean {
  if (labels.length === 1) return snapshot.registryByName(labels[0]!) !== undefined;
  if (labels.length !== 3 || labels[2] !== "data") return false;
  const reg = snapshot.registryByName(labels[0]!);
  if (!reg || !(reg.dataLocations ?? [reg.location.toLowerCase()]).includes(labels[1]!)) return false;
  if (reg.dataEndpointEnabled) return true;
  return snapshot.endpointAddresses().some((e) => e.registryKey === reg.key && e.fqdn.toLowerCase() === publicName);
}
