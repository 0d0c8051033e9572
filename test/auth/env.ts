// A throwaway data dir with real stores, the identity provider and access control, for the
// identity and registry-auth tests. Every caller closes it (stores closed, directory removed).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino, type Logger } from "pino";
import { openStores } from "../../src/storage/open.js";
import { createIdentityProvider, type LocalIdentityProvider } from "../../src/identity/identity-provider.js";
import { createAccessControl, type AccessControlExt } from "../../src/auth/access-control.js";
import { buildRoleAssignment } from "../../src/auth/role-assignments.js";
import type { MetadataStore } from "../../src/storage/types.js";
import type { Principal } from "../../src/auth/types.js";

export interface AuthEnv {
  dir: string;
  meta: MetadataStore;
  idp: LocalIdentityProvider;
  access: AccessControlExt;
  log: Logger;
  /** Creates a service principal and returns it with its principal and secret. */
  principal(name?: string): Promise<{ appId: string; objectId: string; secret: string; principal: Principal }>;
  assign(scope: string, principalId: string, roleGuid: string): Promise<string>;
  close(): Promise<void>;
}

export async function authEnv(dir?: string): Promise<AuthEnv> {
  const own = dir === undefined;
  const d = dir ?? (await mkdtemp(join(tmpdir(), "cove-auth-")));
  const { meta, blobs } = await openStores(d);
  const idp = await createIdentityProvider({ meta, dataDir: d, issuer: "https://127.0.0.1:8443" });
  const access = createAccessControl(meta);
  return {
    dir: d,
    meta,
    idp,
    access,
    log: pino({ level: "silent" }),
    async principal(name = "test-sp") {
      const sp = await idp.createServicePrincipal(name);
      return {
        appId: sp.appId,
        objectId: sp.objectId,
        secret: sp.password,
        principal: { kind: "servicePrincipal", id: sp.objectId, clientId: sp.appId, tenantId: idp.tenantId },
      };
    },
    async assign(scope, principalId, roleGuid) {
      const rec = buildRoleAssignment({ scope, roleDefinitionId: roleGuid, principalId });
      await meta.putResource(rec);
      return rec.id;
    },
    async close() {
      await meta.close();
      await blobs.close();
      if (own) await rm(d, { recursive: true, force: true });
    },
  };
}
