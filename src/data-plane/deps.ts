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
}
