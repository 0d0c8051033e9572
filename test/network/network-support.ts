// Shared by the test/network files: the @azure/arm-network client for a principal, an error
// matcher for RestErrors, and raw ARM calls for what the SDKs cannot send (malformed bodies,
// unsupported api-versions).
import { NetworkManagementClient } from "@azure/arm-network";
import { ContainerRegistryManagementClient } from "@azure/arm-containerregistry";
import type { TestCove } from "../support/cove.js";
import { credentialFor, managementToken } from "../support/arm.js";
import { https } from "../support/http.js";

export const NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7";
export const OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
export const CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c";

function common(cove: TestCove) {
  return { endpoint: cove.managementUrl, tlsOptions: { ca: cove.ca }, retryOptions: { maxRetries: 0 } } as any;
}

export function network(cove: TestCove, appId?: string, secret?: string): NetworkManagementClient {
  return new NetworkManagementClient(credentialFor(cove, appId, secret), cove.credentials.subscriptionId, common(cove));
}

export function registries(cove: TestCove, appId?: string, secret?: string): ContainerRegistryManagementClient {
  return new ContainerRegistryManagementClient(credentialFor(cove, appId, secret), cove.credentials.subscriptionId, common(cove));
}

/** A predicate for assert.rejects: the RestError has this status and ARM error code. */
export function armFails(status: number, code: string, message?: RegExp) {
  return (e: any) => {
    const body = typeof e.response?.bodyAsText === "string" ? JSON.parse(e.response.bodyAsText || "{}") : {};
    const got = e.code ?? body.error?.code;
    if (e.statusCode !== status || got !== code) throw new Error(`expected ${status} ${code}, got ${e.statusCode} ${got}: ${e.message}`);
    if (message && !message.test(e.message)) throw new Error(`message ${JSON.stringify(e.message)} does not match ${message}`);
    return true;
  };
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** A raw ARM request as the owner (for bodies and versions no SDK sends). */
export async function raw(cove: TestCove, method: string, path: string, body?: unknown, token?: string) {
  const t = token ?? (await managementToken(cove));
  const r = await https(`${cove.managementUrl}${path}`, { method, ca: cove.ca, headers: { authorization: `Bearer ${t}` }, body: body as any });
  return { status: r.status, json: r.body.length ? r.json() : undefined };
}

export async function auditEvents(cove: TestCove): Promise<any[]> {
  const out: any[] = [];
  let after = 0;
  for (let i = 0; i < 50; i++) {
    const r = await raw(cove, "GET", `/cove/audit?after=${after}&limit=1000`);
    if (r.status !== 200) throw new Error(`audit read ${r.status}`);
    const page = r.json.value as any[];
    out.push(...page.map((x) => x.event));
    if (page.length < 1000) break;
    after = page[page.length - 1].seq;
  }
  return out;
}
