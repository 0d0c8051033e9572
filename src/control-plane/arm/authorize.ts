// The ARM side of authorization: ask access control (auth/access-control.ts) and, on a refusal,
// raise AuthorizationFailed with Azure's message naming the client, the action and the scope.

import type { Principal } from "../../auth/types.js";
import type { ManagementApiDeps } from "./types.js";
import { armError } from "./errors.js";

export async function demand(deps: ManagementApiDeps, principal: Principal, action: string, scope: string): Promise<void> {
  if (await deps.access.authorize(principal, action, scope)) return;
  throw armError("AuthorizationFailed", {
    clientId: principal.clientId ?? principal.id,
    objectId: principal.id,
    action,
    scope,
  });
}

/** For list operations: ARM filters a collection down to the items the caller may read. */
export async function readable<T extends { id: string }>(
  deps: ManagementApiDeps,
  principal: Principal,
  action: string,
  items: T[],
): Promise<T[]> {
  const out: T[] = [];
  for (const it of items) if (await deps.access.authorize(principal, action, it.id)) out.push(it);
  return out;
}
