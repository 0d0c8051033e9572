// In-process harness for the management API: real stores (openStores in a temp dir), real access
// control, the real state view following the store (writes are answered once it includes them, as
// in main.ts), and principals holding Owner / Reader at the subscription. Requests go through
// createManagementApi().handle() with fakeContext, exactly as the pipeline would call it.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import pino from "pino";
import { fakeContext, bodyBytes } from "../support/context.js";
import { openStores } from "../../src/storage/open.js";
import { createAccessControl } from "../../src/auth/access-control.js";
import { buildRoleAssignment } from "../../src/auth/role-assignments.js";
import { ROLE_IDS } from "../../src/auth/roles.js";
import { createManagementApi } from "../../src/control-plane/index.js";
import { createIdentityProvider } from "../../src/identity/identity-provider.js";
import { StateHolder } from "../../src/state/index.js";
import type { Principal } from "../../src/auth/types.js";
import type { BlobStore, MetadataStore } from "../../src/storage/types.js";

export const SUB = "11111111-2222-3333-4444-555555555555";
export const TENANT = "99999999-8888-7777-6666-555555555555";
export const ACR_V = "api-version=2025-11-01";
export const RES_V = "api-version=2025-03-01";
export const AUTHZ_V = "api-version=2022-04-01";

export function sp(name: string): Principal {
  return { kind: "servicePrincipal", id: randomUUID(), clientId: randomUUID(), displayName: name, tenantId: TENANT };
}

export interface Reply {
  status: number;
  headers: Record<string, string | number | string[]>;
  json: any;
  text: string;
}

export interface Harness {
  meta: MetadataStore;
  blobs: BlobStore;
  owner: Principal;
  reader: Principal;
  /** The state view over the harness's store (suffix cove.test, public address 127.0.0.1). */
  state: StateHolder;
  call(method: string, url: string, opts?: { body?: unknown; principal?: Principal | null; headers?: Record<string, string> }): Promise<Reply>;
  grant(principal: Principal, scope: string, roleGuid: string): Promise<void>;
  /** A real service principal of the identity provider (role assignments may name only those). */
  principal(name: string): Promise<Principal>;
  close(): Promise<void>;
}

export async function harness(): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), "cove-cp-"));
  const { meta, blobs } = await openStores(dir);
  const access = createAccessControl(meta);
  const idp = await createIdentityProvider({ meta, dataDir: dir, issuer: "https://127.0.0.1:8443" });
  const h = {} as Harness;
  h.state = await StateHolder.open({ meta, suffix: "cove.test", publicAddress: "127.0.0.1" });
  const api = createManagementApi({
    meta, access, log: pino({ level: "silent" }), tenantId: TENANT, subscriptionId: SUB,
    loginServerSuffix: "cove.test", registryPort: 8444,
    caughtUp: () => h.state.caughtUp(),
  });
  h.meta = meta;
  h.blobs = blobs;
  h.owner = sp("owner");
  h.reader = sp("reader");
  h.grant = async (p, scope, role) => {
    await meta.putResource(buildRoleAssignment({ scope, roleDefinitionId: role, principalId: p.id }));
  };
  h.principal = async (name) => {
    const c = await idp.createServicePrincipal(name);
    return { kind: "servicePrincipal", id: c.objectId, clientId: c.appId, displayName: name, tenantId: TENANT };
  };
  await h.grant(h.owner, `/subscriptions/${SUB}`, ROLE_IDS.Owner);
  await h.grant(h.reader, `/subscriptions/${SUB}`, ROLE_IDS.Reader);
  h.call = async (method, url, opts = {}) => {
    const principal = opts.principal === null ? undefined : opts.principal ?? h.owner;
    const headers: Record<string, string> = { host: "127.0.0.1:8443", ...(opts.headers ?? {}) };
    if (principal && headers.authorization === undefined) headers.authorization = "Bearer test";
    const body = opts.body === undefined ? undefined : typeof opts.body === "string" || Buffer.isBuffer(opts.body) ? opts.body : (opts.body as object);
    const ctx = fakeContext({ method, url, headers, body, principal, listener: { kind: "management", address: "127.0.0.1", port: 8443 } });
    const r = await api.handle(ctx);
    if (!r) return { status: 0, headers: {}, json: undefined, text: "" };
    const text = (await bodyBytes(r.body)).toString();
    let json: any;
    try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
    return { status: r.status, headers: r.headers ?? {}, json, text };
  };
  h.close = async () => {
    await h.state.close();
    await meta.close();
    await blobs.close();
    await rm(dir, { recursive: true, force: true });
  };
  return h;
}

export const rgUrl = (rg: string, v = RES_V) => `/subscriptions/${SUB}/resourcegroups/${rg}?${v}`;
export const regPath = (rg: string, name: string) => `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.ContainerRegistry/registries/${name}`;
export const regUrl = (rg: string, name: string, v = ACR_V) => `${regPath(rg, name)}?${v}`;

export async function group(h: Harness, rg: string): Promise<void> {
  const r = await h.call("PUT", rgUrl(rg), { body: { location: "westeurope" } });
  if (r.status !== 201 && r.status !== 200) throw new Error(`group ${rg}: ${r.status} ${r.text}`);
}

export async function registry(h: Harness, rg: string, name: string, sku = "Premium", extra: Record<string, unknown> = {}): Promise<any> {
  const r = await h.call("PUT", regUrl(rg, name), { body: { location: "westeurope", sku: { name: sku }, ...extra } });
  if (r.status !== 201 && r.status !== 200) throw new Error(`registry ${name}: ${r.status} ${r.text}`);
  return r.json;
}

/** Asserts an ARM error reply: status, JSON content type, request id, and the code. */
export function armErr(r: Reply, status: number, code: string): void {
  if (r.status !== status || r.json?.error?.code !== code || !String(r.headers["content-type"]).startsWith("application/json") || !r.headers["x-ms-request-id"]) {
    throw new Error(`expected ${status} ${code}, got ${r.status} ${r.text} ${JSON.stringify(r.headers)}`);
  }
  if (typeof r.json.error.message !== "string" || r.json.error.message.length === 0) throw new Error("error without message");
}
