// The one immutable NetworkSnapshot (types.ts), built from plain facts (facts.ts) by a pure
// function: no store, no I/O. src/state/ gathers the facts and rebuilds the snapshot after every
// committed write; a DNS worker thread can rebuild the very same snapshot from posted facts. Both the
// network decision and the DNS views read it, so "what does N resolve" and "may N connect" always
// agree (DESIGN.md section 5). Everything it returns is frozen, whoever built the facts.
//
// Lookups are on the request path, so everything is indexed at build time:
//   locate(ip)     one Map per distinct subnet prefix length, longest first: at most ~a dozen Map
//                  probes of a number, whatever the number of subnets;
//   peered(a, b)   a Set per VNet of the VNets peered with it in both directions (ids are the very
//                  strings Location and EndpointAddress carry, so their hashes are cached);
//   endpointAt(ip) a Map by address string.

import type { EndpointAddress, LinkView, Location, NetworkSnapshot, RegistryNetwork, ZoneView } from "./types.js";
import { noNetworkFacts, type NetworkFacts, type SubnetFact } from "./facts.js";
import { ipv4ToNumber, unwrapMapped } from "./ip-address.js";

export interface SnapshotOptions {
  /** Login-server suffix, e.g. "cove.test". */
  suffix: string;
  /** The public endpoint's address (what public DNS answers end in). */
  publicAddress: string;
  /** Monotonic, for caches (the DNS answer cache, SOA serials); 1 when not given. */
  version?: number;
}

interface PrefixLevel {
  /** 2^(32 - prefix length): the block size. */
  size: number;
  byBase: Map<number, Location>;
}

const NO_LINKS: readonly LinkView[] = Object.freeze([]);

class Snapshot implements NetworkSnapshot {
  readonly suffix: string;
  readonly publicAddress: string;
  readonly version: number;
  private readonly levels: PrefixLevel[];
  private readonly peers: Map<string, Set<string>>;
  /** Every VNet id the snapshot knows (lower-case), to tell "not peered" from "not lower-cased". */
  private readonly vnets: Set<string>;
  private readonly endpointsByIp: Map<string, EndpointAddress>;
  private readonly endpointList: readonly EndpointAddress[];
  private readonly registriesByKey: Map<string, RegistryNetwork>;
  private readonly registriesByName: Map<string, RegistryNetwork>;
  private readonly links: Map<string, readonly LinkView[]>;
  private readonly zonesByName: Map<string, ZoneView>;
  private readonly zonesById: Map<string, ZoneView>;
  private readonly subnetList: readonly SubnetFact[];

  constructor(facts: NetworkFacts, opts: SnapshotOptions) {
    this.suffix = opts.suffix.toLowerCase();
    this.publicAddress = opts.publicAddress;
    this.version = opts.version ?? 1;

    const byLength = new Map<number, PrefixLevel>();
    for (const s of facts.subnets) {
      let level = byLength.get(s.cidr.prefix);
      if (!level) byLength.set(s.cidr.prefix, (level = { size: s.cidr.size, byBase: new Map() }));
      // The same prefix in two VNets (allowed when they are not peered): the first in id order wins.
      if (!level.byBase.has(s.cidr.base)) level.byBase.set(s.cidr.base, Object.freeze({ vnetId: s.vnetId, subnetId: s.subnetId }));
    }
    this.subnetList = Object.freeze(facts.subnets.map((s) => Object.freeze({ ...s, cidr: Object.freeze({ ...s.cidr }) })));
    this.levels = [...byLength.entries()].sort((a, b) => b[0] - a[0]).map(([, l]) => l);

    this.vnets = new Set([...facts.subnets.map((x) => x.vnetId), ...facts.peerings.flat(), ...facts.endpoints.map((e) => e.vnetId)]);
    const edges = new Set(facts.peerings.map(([a, b]) => `${a} ${b}`));
    this.peers = new Map();
    for (const [a, b] of facts.peerings) {
      if (!edges.has(`${b} ${a}`)) continue; // one side only: Initiated or Disconnected, no traffic
      const set = this.peers.get(a);
      if (set) set.add(b);
      else this.peers.set(a, new Set([b]));
    }

    // Copies, frozen: the snapshot is immutable whoever built the facts, and aliases none of them.
    const endpoints = facts.endpoints.map((e) => Object.freeze({ ...e }));
    this.endpointsByIp = new Map();
    for (const e of endpoints) if (!this.endpointsByIp.has(e.ip)) this.endpointsByIp.set(e.ip, e);
    this.endpointList = Object.freeze(endpoints);

    const registries = facts.registries.map((r) => Object.freeze({ ...r, ipRules: Object.freeze([...r.ipRules]) as string[] }));
    this.registriesByKey = new Map(registries.map((r) => [r.key, r]));
    this.registriesByName = new Map(registries.map((r) => [r.name, r]));

    this.zonesById = new Map();
    this.zonesByName = new Map();
    for (const z of facts.zones) {
      const records = new Map(z.records.map((r) => [r.name, Object.freeze({ ttl: r.ttl, ips: Object.freeze([...r.ips]) as string[] })]));
      const view: ZoneView = Object.freeze({ id: z.id, name: z.name, records });
      this.zonesById.set(z.id, view);
      // Zones are listed in id order: with two zones of one name, zone(name) is the first; links carry zoneId.
      if (!this.zonesByName.has(z.name)) this.zonesByName.set(z.name, view);
    }
    const links = new Map<string, LinkView[]>();
    for (const { vnetId, link } of facts.links) {
      const frozen = Object.freeze({ ...link });
      const list = links.get(vnetId);
      if (list) list.push(frozen);
      else links.set(vnetId, [frozen]);
    }
    this.links = new Map([...links].map(([k, v]) => [k, Object.freeze(v)]));
    Object.freeze(this);
  }

  locate(ip: string): Location | undefined {
    const n = ipv4ToNumber(ip);
    if (n < 0) return undefined;
    for (const level of this.levels) {
      const hit = level.byBase.get(n - (n % level.size));
      if (hit) return hit;
    }
    return undefined;
  }

  peered(vnetA: string, vnetB: string): boolean {
    if (this.peers.get(vnetA)?.has(vnetB)) return true;
    if (this.vnets.has(vnetA) && this.vnets.has(vnetB)) return false;
    // Callers should pass lower-cased ids (types.ts); accept others at the price of two copies.
    return this.peers.get(vnetA.toLowerCase())?.has(vnetB.toLowerCase()) === true;
  }

  endpointAt(ip: string): EndpointAddress | undefined {
    return this.endpointsByIp.get(ip) ?? this.endpointsByIp.get(unwrapMapped(ip));
  }

  endpointAddresses(): EndpointAddress[] {
    return this.endpointList as EndpointAddress[];
  }

  registryByKey(key: string): RegistryNetwork | undefined {
    return this.registriesByKey.get(key) ?? this.registriesByKey.get(key.toLowerCase());
  }

  registryByName(name: string): RegistryNetwork | undefined {
    return this.registriesByName.get(name.toLowerCase());
  }

  linksOf(vnetId: string): LinkView[] {
    return (this.links.get(vnetId.toLowerCase()) ?? NO_LINKS) as LinkView[];
  }

  zone(name: string): ZoneView | undefined {
    return this.zonesByName.get(name.toLowerCase().replace(/\.$/, ""));
  }

  zoneById(id: string): ZoneView | undefined {
    return this.zonesById.get(id.toLowerCase());
  }

  subnets(): readonly SubnetFact[] {
    return this.subnetList;
  }
}

/** The snapshot of these facts: pure, the same facts and options give an equal snapshot. */
export function buildSnapshot(facts: NetworkFacts, opts: SnapshotOptions): NetworkSnapshot {
  return new Snapshot(facts, opts);
}

/** The snapshot of an empty store (version 0 unless given): what the state view starts from. */
export function emptySnapshot(opts: SnapshotOptions): NetworkSnapshot {
  return new Snapshot(noNetworkFacts(), { ...opts, version: opts.version ?? 0 });
}
