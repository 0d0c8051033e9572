// The bootstrap principal when nodes share one metadata store: one "cove-bootstrap" Owner for all of
// them, not one per data dir. The first node to start makes it (as a single node does) and keeps its
// secret in the store's internal record; every later node writes that same principal into its own
// credentials.json, so `cove login --from-data-dir` works against any node's data dir.
//
//   /cove/settings/bootstrap   type Cove/bootstrap   {tenantId, subscriptionId, clientId, clientSecret}
//
// The secret in the store adds no exposure: the store also holds the token signing key
// (storage/shared-files.ts), with which whoever reads it could mint any token anyway.
import type { MetadataStore } from "../storage/types.js";
import type { BootstrapCredentials } from "./bootstrap.js";

export const SHARED_BOOTSTRAP_ID = "/cove/settings/bootstrap";
const SHARED_BOOTSTRAP_TYPE = "Cove/bootstrap";

function asCredentials(body: unknown): BootstrapCredentials | undefined {
  const b = body as Partial<BootstrapCredentials> | undefined;
  const ok = b && [b.tenantId, b.subscriptionId, b.clientId, b.clientSecret].every((v) => typeof v === "string" && v.length > 0);
  return ok ? { tenantId: b.tenantId!, subscriptionId: b.subscriptionId!, clientId: b.clientId!, clientSecret: b.clientSecret! } : undefined;
}

function record(c: BootstrapCredentials) {
  return { id: SHARED_BOOTSTRAP_ID, type: SHARED_BOOTSTRAP_TYPE, body: { tenantId: c.tenantId, subscriptionId: c.subscriptionId, clientId: c.clientId, clientSecret: c.clientSecret } };
}

/** For a data dir without credentials.json: the shared principal, made by `make` if no node has made it yet. */
export function joinSharedBootstrap(meta: MetadataStore, make: () => Promise<BootstrapCredentials>): Promise<BootstrapCredentials> {
  return meta.exclusive(async () => {
    const shared = asCredentials((await meta.getResource(SHARED_BOOTSTRAP_ID))?.body);
    if (shared) return shared;
    const made = await make();
    await meta.putResource(record(made));
    return made;
  });
}

/**
 * For a data dir that has its credentials.json already (a single node that becomes the first of
 * several): its principal becomes the shared one, unless another node's is there first. Returns
 * whether this data dir's principal is the shared one.
 */
export function offerSharedBootstrap(meta: MetadataStore, own: BootstrapCredentials): Promise<boolean> {
  return meta.exclusive(async () => {
    const shared = asCredentials((await meta.getResource(SHARED_BOOTSTRAP_ID))?.body);
    if (shared) return shared.clientId === own.clientId;
    await meta.putResource(record(own));
    return true;
  });
}
