// IP allocation stays exact when the metadata store really yields between calls (as a networked
// driver would; the SQLite driver answers without yielding, so the SDK test alone cannot show a
// race): every store call here waits a macrotask first, and eight endpoint PUTs run at once. The
// front door's serialised writes are what keep the sixteen addresses distinct.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { fakeContext, bodyBytes } from "../support/context.js";
import { openStores } from "../../src/storage/open.js";
import { createAccessControl } from "../../src/auth/access-control.js";
import { buildRoleAssignment } from "../../src/auth/role-assignments.js";
import { ROLE_IDS } from "../../src/auth/roles.js";
import { createManagementApi } from "../../src/control-plane/index.js";
import type { MetadataStore } from "../../src/storage/types.js";
import { SUB, TENANT, sp } from "../control-plane/harness.js";

function yielding(meta: MetadataStore): MetadataStore {
  return new Proxy(meta, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver);
      if (typeof v !== "function") return v;
      return async (...args: unknown[]) => {
        await new Promise((ok) => setImmediate(ok));
        return v.apply(target, args);
      };
    },
  });
}

test("eight concurrent endpoint PUTs over a yielding store get sixteen distinct addresses", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cove-race-"));
  const { meta: raw, blobs } = await openStores(dir);
  try {
    const meta = yielding(raw);
    const owner = sp("owner");
    await raw.putResource(buildRoleAssignment({ scope: `/subscriptions/${SUB}`, roleDefinitionId: ROLE_IDS.Owner, principalId: owner.id }));
    const api = createManagementApi({
      meta, access: createAccessControl(meta), log: pino({ level: "silent" }), tenantId: TENANT, subscriptionId: SUB, loginServerSuffix: "cove.test", registryPort: 8444,
    });
    const call = async (method: string, url: string, body?: object) => {
      const ctx = fakeContext({ method, url, headers: { host: "127.0.0.1:8443", authorization: "Bearer t" }, body, principal: owner, listener: { kind: "management", address: "127.0.0.1", port: 8443 } });
      const r = (await api.handle(ctx))!;
      const text = (await bodyBytes(r.body)).toString();
      return { status: r.status, json: text ? JSON.parse(text) : undefined };
    };
    const rg = `/subscriptions/${SUB}/resourceGroups/race`;
    assert.equal((await call("PUT", `${rg}?api-version=2025-03-01`, { location: "westeurope" })).status, 201);
    const reg = `${rg}/providers/Microsoft.ContainerRegistry/registries/raceacr01`;
    assert.equal((await call("PUT", `${reg}?api-version=2025-11-01`, { location: "westeurope", sku: { name: "Premium" } })).status, 201);
    const vnet = `${rg}/providers/Microsoft.Network/virtualNetworks/v`;
    const made = await call("PUT", `${vnet}?api-version=2025-05-01`, {
      location: "westeurope", properties: { addressSpace: { addressPrefixes: ["127.70.0.0/16"] }, subnets: [{ name: "s", properties: { addressPrefix: "127.70.1.0/24" } }] },
    });
    assert.equal(made.status, 201);
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => call("PUT", `${rg}/providers/Microsoft.Network/privateEndpoints/pe${i}?api-version=2025-05-01`, {
      location: "westeurope",
      properties: { subnet: { id: `${vnet}/subnets/s` }, privateLinkServiceConnections: [{ name: "c", properties: { privateLinkServiceId: reg, groupIds: ["registry"] } }] },
    })));
    assert.deepEqual(results.map((r) => r.status), Array(8).fill(201));
    const ips = results.flatMap((r) => r.json.properties.customDnsConfigs.map((d: any) => d.ipAddresses[0] as string));
    assert.equal(new Set(ips).size, 16, ips.join(","));
    assert.deepEqual(ips.map((ip) => Number(ip.split(".")[3])).sort((a, b) => a - b), Array.from({ length: 16 }, (_, i) => i + 4));
  } finally {
    await raw.close();
    await blobs.close();
    await rm(dir, { recursive: true, force: true });
  }
});
