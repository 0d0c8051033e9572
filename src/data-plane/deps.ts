// What every data-plane handler is built from. index.ts fills it once from createDataPlane's
// arguments; handlers receive it by closure and never reach for globals.
import type { Logger } from "pino";
import type { BlobStore, MetadataStore } from "../storage/types.js";
import type { RegionStores } from "../storage/region-stores.js";
import type { RegistryAuth } from "./registry-auth-contract.js";
import type { KeyLock } from "./key-lock.js";

export interface DataPlaneDeps {
  meta: MetadataStore;
  /** The HOME store of every registry, whatever its location: pushes land here. */
  blobs: BlobStore;
  /** The replica regions' stores (storage/region-stores.ts); absent: every blob is served from home. */
  regions?: RegionStores;
  auth: RegistryAuth;
  log: Logger;
  uploadTtlMs: number;
  maxManifestBytes: number;
  /** Serialises byte-changing sequences per digest (see key-lock.ts). */
  locks: KeyLock;
  now: () => number;
  /** HMAC-SHA256 key of the data endpoint's signed blob URLs (see data-endpoint.ts). */
  dataEndpointKey: Buffer;
  /** How long a signed blob URL stays valid. */
  dataUrlTtlMs: number;
  /** The region (lower-case) of the private endpoint that owns a private IP, from the state view: where its clients are routed. */
  endpointRegion: (ip: string) => string | undefined;
  /** The region public clients are routed to when it is one of the registry's enabled replicas; unset: home. */
  publicRegion?: string;
  /** A manifest was stored in this registry (the replicator copies it to the replicas). */
  onManifestStored: (registryKey: string) => void;
  /** A blob's bytes left the home store (the replicator no longer assumes a region holds them). */
  onBlobRemoved: (digest: string) => void;
}
