// First start: a service principal that owns the subscription, so that the first operator (or a
// test, or `cove login --from-data-dir`) can do everything else through the ordinary API. The lead's
// composition root calls this only when <dataDir>/credentials.json does not exist, then writes
// that file (mode 0600) with the result: the secret is never stored anywhere else.

import type { MetadataStore } from "../storage/types.js";
import { buildRoleAssignment } from "../auth/role-assignments.js";
import { ROLE_IDS } from "../auth/roles.js";

export const BOOTSTRAP_DISPLAY_NAME = "cove-bootstrap";

export interface BootstrapCredentials {
  tenantId: string;
  subscriptionId: string;
  clientId: string;
  clientSecret: string;
}

/** What bootstrap needs of the identity provider (the provider calls bootstrap, so it is named here, not imported). */
export interface PrincipalIssuer {
  readonly tenantId: string;
  readonly subscriptionId: string;
  createServicePrincipal(displayName: string): Promise<{ objectId: string; appId: string; password: string }>;
}

export async function bootstrapOwner(idp: PrincipalIssuer, meta: MetadataStore): Promise<BootstrapCredentials> {
  const sp = await idp.createServicePrincipal(BOOTSTRAP_DISPLAY_NAME);
  const scope = `/subscriptions/${idp.subscriptionId}`;
  await meta.putResource(
    buildRoleAssignment({
      scope,
      roleDefinitionId: ROLE_IDS.Owner,
      principalId: sp.objectId,
      principalType: "ServicePrincipal",
      description: "Created by Cove on first start for the bootstrap service principal.",
    }),
  );
  return { tenantId: idp.tenantId, subscriptionId: idp.subscriptionId, clientId: sp.appId, clientSecret: sp.password };
}
