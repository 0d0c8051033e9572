// The landing zone every DNS test resolves against (all on loopback):
//   hub      127.17.0.0/16  linked to privatelink.cove.test (Default) and to corp.internal
//   redirect 127.18.0.0/16  linked to privatelink.cove.test with NxDomainRedirect
//   spoke    127.19.0.0/16  in a VNet, no zone linked
//   laptop   127.0.0.1      in no VNet (the internet view)
// Registries: contoso (westus, data endpoints on; both records in the zone), fabrikam (eastus, no
// record in the zone), big (20 A records, larger than a classic 512-octet UDP answer).

import { pino } from "pino";
import { createDnsServer, type DnsServerOptions } from "../../src/dns/index.js";
import type { NetworkSnapshot } from "../../src/network-policy/types.js";
import { type FakeState, fakeSnapshot, registry, vnetId } from "./fake-snapshot.js";

export const HUB = "127.17.1.50";
export const REDIRECT = "127.18.1.50";
export const SPOKE = "127.19.1.50";
export const LAPTOP = "127.0.0.1";
export const PUBLIC_IP = "127.0.0.1";
export const BIG_IPS = Array.from({ length: 20 }, (_, i) => `127.17.2.${i + 1}`);

export function landingZone(): FakeState {
  return {
    suffix: "cove.test",
    publicAddress: PUBLIC_IP,
    vnets: [
      { id: vnetId("hub"), prefix: "127.17.0.0/16" },
      { id: vnetId("redirect"), prefix: "127.18.0.0/16" },
      { id: vnetId("spoke"), prefix: "127.19.0.0/16" },
    ],
    registries: [registry("contoso", "westus", true), registry("fabrikam", "eastus", false), registry("big", "westus", false)],
    zones: [
      {
        name: "privatelink.cove.test",
        records: {
          contoso: { ttl: 10, ips: ["127.17.1.10"] },
          "contoso.westus.data": { ttl: 10, ips: ["127.17.1.11"] },
          big: { ttl: 10, ips: BIG_IPS },
        },
      },
      { name: "corp.internal", records: { db: { ttl: 60, ips: ["127.17.5.5"] } } },
    ],
    links: {
      [vnetId("hub")]: [{ zone: "privatelink.cove.test", resolutionPolicy: "Default" }, { zone: "corp.internal", resolutionPolicy: "Default" }],
      [vnetId("redirect")]: [{ zone: "privatelink.cove.test", resolutionPolicy: "NxDomainRedirect" }],
    },
  };
}

export interface Running {
  port: number;
  /** Replace the state: the next query must see it. */
  set(state: FakeState): void;
  queries: { view: string; rcode: string }[];
  stop(): Promise<void>;
}

export async function startDns(extra: Partial<DnsServerOptions> = {}, state = landingZone()): Promise<Running> {
  let version = 1;
  let current: NetworkSnapshot = fakeSnapshot(state, version);
  const queries: { view: string; rcode: string }[] = [];
  const server = createDnsServer({
    listen: { host: "127.0.0.1", port: 0 },
    snapshot: () => current,
    log: pino({ level: "silent" }),
    onQuery: (view, rcode) => queries.push({ view, rcode }),
    ...extra,
  });
  await server.start();
  const { udp, tcp } = server.address();
  if (udp.port !== tcp.port) throw new Error("udp and tcp ports differ");
  return {
    port: udp.port,
    set(s) { current = fakeSnapshot(s, ++version); },
    queries,
    stop: () => server.stop(),
  };
}
