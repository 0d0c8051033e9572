// The small kit every resource provider's handlers share: typed lookups, the not-found and list
// shapes ARM answers with, the actor named in error messages, and fresh etags.

import { randomUUID } from "node:crypto";
import type { MetadataStore, ResourceRecord } from "../../storage/types.js";
import type { Principal } from "../../auth/types.js";
import { isType } from "../../domain/resource-types.js";
import type { ArmCall, ArmResult } from "./types.js";
import { armError } from "./errors.js";
import { readable } from "./authorize.js";
import { assertSubscription, getResourceGroup } from "./scopes.js";

/** The caller as Azure names it as the client in error messages (application id; audit events use the object id). */
export function actorOf(p: Principal): string {
  return p.clientId ?? p.id;
}

/**
 * A fresh etag for a Microsoft.Network resource. The two providers spell etags differently, as Azure
 * does and as the SDKs echo them back in If-Match: Microsoft.Network uses weak validators
 * (`W/"<guid>"`), Microsoft.Network/privateDnsZones a bare GUID (`privateDnsEtag`).
 */
export const networkEtag = () => `W/"${randomUUID()}"`;
/** A fresh etag for a private DNS zone, record set or link: a bare GUID (see `networkEtag`). */
export const privateDnsEtag = () => randomUUID();

/** A stored resource of exactly this type, or undefined. */
export async function getTyped(meta: MetadataStore, id: string, type: string): Promise<ResourceRecord | undefined> {
  const rec = await meta.getResource(id);
  return rec && isType(rec.type, type) ? rec : undefined;
}

/** ARM's 404 for a tracked resource. */
export function notFoundTracked(type: string, name: string, rg: string): never {
  throw armError("ResourceNotFound", { type, name, resourceGroup: rg });
}

async function listUnder(c: ArmCall, type: string, action: string, rgName?: string): Promise<ArmResult> {
  const s = assertSubscription(c.deps, c.params.subscriptionId!);
  let under = `/subscriptions/${s}/`;
  if (rgName !== undefined) under = (await getResourceGroup(c.deps, rgName)).id + "/";
  const all = await c.deps.meta.listResources({ type, underId: under });
  const visible = await readable(c.deps, c.principal, action, all);
  return { status: 200, body: { value: visible.map((r) => r.body) } };
}

/** A list handler for a tracked type, by resource group when the path names one; filtered to what the caller may read. */
export function listTracked(type: string, action: string) {
  return (c: ArmCall) => listUnder(c, type, action, c.params.resourceGroupName);
}
