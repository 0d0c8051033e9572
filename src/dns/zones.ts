// The zones Cove is authoritative for and their SOA and NS records. Public side: the login-server
// suffix (e.g. "cove.test") and "privatelink.<suffix>", which is also a name in public DNS (in
// Azure, privatelink.azurecr.io is a delegated public zone, and the public CNAME chain runs through
// it). Private side: every private DNS zone, visible only to the VNets linked to it.
// Values are documented in docs/dns.md; the private zones' SOA is Azure's (the same values the
// management API shows for the `@` SOA record set, src/control-plane/privatedns/zones.ts).

import type { Answer } from "dns-packet";

/** TTLs of the public answers: the CNAME is stable while the registry exists; the public A record
 *  is short, as Azure's last hop (TTL 10), so a client notices a newly linked zone quickly. */
export const PUBLIC_CNAME_TTL = 300;
export const PUBLIC_A_TTL = 10;
const PUBLIC_SOA_TTL = 300;
const PRIVATE_SOA_TTL = 3600;
/** Negative answers are cached for min(SOA TTL, SOA minimum) = 10 s (RFC 2308 section 5). */
const NEGATIVE_TTL = 10;

export function privatelinkZone(suffix: string): string {
  return `privatelink.${suffix}`;
}

export function publicNameServer(suffix: string): string {
  return `ns1.${suffix}`;
}

export function publicSoa(zone: string, suffix: string, serial: number): Answer {
  return {
    name: zone,
    type: "SOA",
    ttl: PUBLIC_SOA_TTL,
    class: "IN",
    data: {
      mname: publicNameServer(suffix),
      rname: `hostmaster.${suffix}`,
      serial: serial >>> 0,
      refresh: 3600,
      retry: 300,
      expire: 1209600,
      minimum: NEGATIVE_TTL,
    },
  };
}

export function publicNs(zone: string, suffix: string): Answer {
  return { name: zone, type: "NS", ttl: PUBLIC_SOA_TTL, class: "IN", data: publicNameServer(suffix) };
}

const PRIVATE_NS = "azureprivatedns.net";

export function privateSoa(zone: string): Answer {
  return {
    name: zone,
    type: "SOA",
    ttl: PRIVATE_SOA_TTL,
    class: "IN",
    data: {
      mname: PRIVATE_NS,
      rname: "azureprivatedns-host.microsoft.com",
      serial: 1,
      refresh: 3600,
      retry: 300,
      expire: 2419200,
      minimum: NEGATIVE_TTL,
    },
  };
}

export function privateNs(zone: string): Answer {
  return { name: zone, type: "NS", ttl: PRIVATE_SOA_TTL, class: "IN", data: PRIVATE_NS };
}

/** "name" is "zone" or below it. */
export function inZone(name: string, zone: string): boolean {
  return name === zone || (name.length > zone.length && name.endsWith(zone) && name.charCodeAt(name.length - zone.length - 1) === 46);
}

/** The name relative to its zone ("@" for the apex). */
export function relative(name: string, zone: string): string {
  return name === zone ? "@" : name.slice(0, name.length - zone.length - 1);
}
