// ONE versioned view of registries and the network: the registry views by host (the data plane's
// "which registry does this Host name"), and the network snapshot that the decision, the DNS views
// and the private listeners read (later the toolkit report and the web page too). Built from plain
// facts by a pure function, so every reader of one view sees the same state: a registry the data
// plane serves is the registry DNS answers for and the decision judges.

import type { RegistryView } from "../domain/registry.js";
import { buildSnapshot, type NetworkSnapshot } from "../network-policy/index.js";
import type { StateFacts } from "./read-facts.js";

export interface ViewOptions {
  /** Login-server suffix, e.g. "cove.test". */
  suffix: string;
  /** The public endpoint's address (what public DNS answers end in). */
  publicAddress: string;
}

export interface StateView {
  /** Bumps on every rebuild (the network snapshot carries the same number, for the DNS caches). */
  readonly version: number;
  /** The store version the view includes (storage/types.ts ChangeFeed): what writers wait for. */
  readonly storeVersion: number;
  /** What the view was built from, unchanged: plain data, for a worker thread to rebuild it. */
  readonly facts: StateFacts;
  readonly network: NetworkSnapshot;
  registries(): readonly RegistryView[];
  /** The registry a Host header (port stripped, lower-case) names: its login server or its data endpoint. */
  registryByHost(host: string): RegistryView | undefined;
  /** The registries' home and replica locations (lower-case, distinct, sorted): each needs a data-endpoint certificate. */
  locations(): string[];
}

class View implements StateView {
  readonly network: NetworkSnapshot;
  readonly storeVersion: number;
  private readonly list: readonly RegistryView[];
  /** Lower-case registry name -> view: login servers are unique across Cove. */
  private readonly byName: Map<string, RegistryView>;
  private readonly tail: string;

  constructor(readonly facts: StateFacts, opts: ViewOptions, readonly version: number) {
    this.storeVersion = facts.storeVersion;
    this.network = buildSnapshot(facts.network, { ...opts, version });
    this.list = Object.freeze(facts.registries.map((r) => Object.freeze({ ...r })));
    this.byName = new Map(this.list.map((r) => [r.name.toLowerCase(), r]));
    this.tail = "." + opts.suffix.toLowerCase();
    Object.freeze(this);
  }

  registries(): readonly RegistryView[] {
    return this.list;
  }

  registryByHost(host: string): RegistryView | undefined {
    if (!host.endsWith(this.tail)) return undefined;
    const labels = host.slice(0, -this.tail.length).split(".");
    if (labels.length === 1) return this.byName.get(labels[0]!);
    // Dedicated data endpoint: <name>.<location>.data, of the home region or of a replica region
    // (every one of these names is the same registry).
    if (labels.length === 3 && labels[2] === "data") {
      const view = this.byName.get(labels[0]!);
      if (!view) return undefined;
      const region = labels[1]!;
      return view.location.toLowerCase() === region || view.replicas.some((r) => r.location === region) ? view : undefined;
    }
    return undefined;
  }

  locations(): string[] {
    return [...new Set(this.list.flatMap((r) => [...(r.location ? [r.location.toLowerCase()] : []), ...r.replicas.map((x) => x.location)]))].sort();
  }
}

/** The view of these facts: pure, the same facts, options and version give an equal view. */
export function buildView(facts: StateFacts, opts: ViewOptions, version: number): StateView {
  return new View(facts, opts, version);
}
