// Which registry does a Host header name? Registries are stored as ARM resources; the data plane
// needs the answer on every request, so the index keeps an in-memory map from registry name
// (lower-case; login servers are unique across Cove) to its view, rebuilt whenever the control plane
// reports a change. Both the login server and the dedicated data endpoint
// (<name>.<location>.data.<suffix>) resolve to the same registry.
import { registryViewFrom, type RegistryView } from "../domain/registry.js";
import type { MetadataStore } from "./types.js";
import { REGISTRY_TYPE } from "../domain/resource-types.js";

export class RegistryIndex {
  private byName = new Map<string, RegistryView>();

  constructor(private readonly meta: MetadataStore, private readonly suffix: string) {}

  async refresh(): Promise<void> {
    const next = new Map<string, RegistryView>();
    for (const r of await this.meta.listResources({ type: REGISTRY_TYPE })) {
      const view = registryViewFrom(r.id, r.body);
      next.set(view.name.toLowerCase(), view);
    }
    this.byName = next;
  }

  all(): RegistryView[] {
    return [...this.byName.values()];
  }

  /** The registry a Host header (port stripped, lower-case) names, or undefined. */
  byHost(host: string): RegistryView | undefined {
    const tail = "." + this.suffix;
    if (!host.endsWith(tail)) return undefined;
    const labels = host.slice(0, -tail.length).split(".");
    if (labels.length === 1) return this.byName.get(labels[0]);
    // Dedicated data endpoint: <name>.<location>.data
    if (labels.length === 3 && labels[2] === "data") {
      const view = this.byName.get(labels[0]);
      return view && view.location.toLowerCase() === labels[1] ? view : undefined;
    }
    return undefined;
  }
}
