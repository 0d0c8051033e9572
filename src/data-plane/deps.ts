// What every data-plane handler is built from. index.ts fills it once from createDataPlane's
// arguments; handlers receive it by closure and never reach for globals.
import type { Logger } from "pino";
import type { BlobStore, MetadataStore } from "../storage/types.js";
import type { RegistryAuth } from "./registry-auth-contract.js";
import type { KeyLock } from "./key-lock.js";

export interface DataPlaneDeps {
  meta: MetadataStore;
  blobs: BlobStore;
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
}
