// The one immutable NetworkSnapshot (types.ts) built from the stored records, and the holder that
// rebuilds it after management writes. Both the network decision and the DNS views read the same
// snapshot, so "what does N resolve" and "may N connect" always agree (DESIGN.md section 5).
//
// Lookups are on the request path, so everything is indexed at build time:
//   locate(ip)     one Map per distinct subnet prefix length, longest first: at most ~a dozen Map
//                  probes of a number, whatever the number of subnets;
//   peered(a, b)   a Set per VNet of the VNets peered with it in both directions (ids are the very
//                  strings Location and EndpointAddress carry, so their hashes are cached);
//   endpointAt(ip) a Map by address string.

import type { MetadataStore } from "../storage/types.js";
import type { EndpointAddress, LinkView, Location, NetworkSnapshot, RegistryNetwork, ZoneView } from "./types.js";
import { ipv4ToNumber, unwrapMapped } from "./ip-address.js";
import { readNetworkFacts, type NetworkFacts } from "./snapshot-records.js";

export interface SnapshotOptions {
  /** Login-server suffix, e.g. "cove.test". */
  suffix: string;
  /** The public endpoint's address (what public DNS answers end in). */
  publicAddress: string;
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

    this.endpointsByIp = new Map();
    for (const e of facts.endpoints) if (!this.endpointsByIp.has(e.ip)) this.endpointsByIp.set(e.ip, e);
    this.endpointList = Object.freeze([...facts.endpoints]);

    this.registriesByKey = new Map(facts.registries.map((r) => [r.key, r]));
    this.registriesByName = new Map(facts.registries.map((r) => [r.name, r]));

    this.zonesById = new Map();
    this.zonesByName = new Map();
    for (const z of facts.zones) {
      const view: ZoneView = Object.freeze({ id: z.id, name: z.name, records: z.records });
      this.zonesById.set(z.id, view);
      // Zones are listed in id order: with two zones of one name, zone(name) is the first; links carry zoneId.
      if (!this.zonesByName.has(z.name)) this.zonesByName.set(z.name, view);
    }
    const links = new Map<string, LinkView[]>();
    for (const { vnetId, link } of facts.links) {
      const list = links.get(vnetId);
      if (list) list.push(link);
      else links.set(vnetId, [link]);
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
}

/** Builds the snapshot of every subscription's network records. */
export async function buildSnapshot(meta: MetadataStore, opts: SnapshotOptions): Promise<NetworkSnapshot> {
  return new Snapshot(await readNetworkFacts(meta, opts.suffix.toLowerCase()), opts);
}

/** The snapshot of an empty store: what SnapshotHolder.current() returns before the first refresh. */
export function emptySnapshot(opts: SnapshotOptions): NetworkSnapshot {
  return new Snapshot({ subnets: [], peerings: [], endpoints: [], registries: [], zones: [], links: [] }, { ...opts, version: opts.version ?? 0 });
}

/**
 * Holds the current snapshot. `refresh()` after every management write: it rebuilds, bumps the
 * version and notifies the listeners (listener manager, DNS caches). Calls made while a rebuild
 * runs share ONE follow-up rebuild that starts after it, so every caller gets a snapshot that
 * includes the writes made before its call, and a burst of writes costs at most two rebuilds.
 */
export class SnapshotHolder {
  private snapshot: NetworkSnapshot;
  private version = 0;
  private running: Promise<NetworkSnapshot> | undefined;
  private queued: Promise<NetworkSnapshot> | undefined;
  private readonly listeners = new Set<(s: NetworkSnapshot) => void>();

  constructor(private readonly meta: MetadataStore, private readonly opts: Omit<SnapshotOptions, "version">) {
    this.snapshot = emptySnapshot({ ...opts, version: 0 });
  }

  current(): NetworkSnapshot {
    return this.snapshot;
  }

  refresh(): Promise<NetworkSnapshot> {
    if (!this.running) {
      this.running = this.rebuild().finally(() => { this.running = undefined; });
      return this.running;
    }
    // A rebuild is under way and may have read the store before the caller's write: queue one more.
    this.queued ??= this.running.then(noop, noop).then(() => {
      this.queued = undefined;
      return this.refresh();
    });
    return this.queued;
  }

  /** Calls `cb` with every new snapshot; returns the function that unsubscribes. */
  onChange(cb: (s: NetworkSnapshot) => void): () => void {
    this.listeners.add(cb);
    return () => { this.listeners.delete(cb); };
  }

  private async rebuild(): Promise<NetworkSnapshot> {
    const next = await buildSnapshot(this.meta, { ...this.opts, version: this.version + 1 });
    this.version = next.version;
    this.snapshot = next;
    for (const cb of [...this.listeners]) {
      // One failing listener must not keep the others (or the caller) on the old state.
      try { cb(next); } catch { /* the listener reports its own failures */ }
    }
    return next;
  }
}

function noop(): void {}
