// A real store (openStores in a temp dir) for the state tests, and records in the shapes the
// control plane writes, put straight into it: nobody tells the state view anything but the store.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStores } from "../../src/storage/open.js";
import type { BlobStore, MetadataStore } from "../../src/storage/types.js";
import { REGISTRY_TYPE } from "../../src/domain/resource-types.js";

export interface TempStore {
  meta: MetadataStore;
  blobs: BlobStore;
  close(): Promise<void>;
}

export async function tempStore(): Promise<TempStore> {
  const dir = await mkdtemp(join(tmpdir(), "cove-state-"));
  const { meta, blobs } = await openStores(dir);
  return {
    meta, blobs,
    async close() {
      await meta.close();
      await blobs.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export const registryId = (name: string) => `/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/${name}`;

export function putRegistry(meta: MetadataStore, name: string, props: Record<string, unknown> = {}, location = "westeurope"): Promise<void> {
  return meta.putResource({
    id: registryId(name), type: REGISTRY_TYPE,
    body: { name, location, sku: { name: "Premium" }, properties: { loginServer: `${name}.cove.test`, publicNetworkAccess: "Enabled", ...props } },
  });
}

/** Lets a turn of the event loop (and a few timers) pass: time for a rebuild that was wrongly scheduled to show. */
export const settle = () => new Promise((ok) => setTimeout(ok, 30));
