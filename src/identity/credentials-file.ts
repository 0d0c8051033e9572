// <dataDir>/credentials.json: how the first operator (and `cove login --from-data-dir`, and the tests)
// reach a new Cove. Written once, mode 0600, on the first start, with the bootstrap service
// principal's secret, which is stored nowhere else; read back on every later start. Where Cove is
// reached follows the configuration: a start with other endpoints (loopback mode, then `serve --lab`)
// rewrites them, keeping the principal and its secret.

import { access, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { BootstrapCredentials } from "./bootstrap.js";

export interface Credentials {
  tenantId: string;
  subscriptionId: string;
  clientId: string;
  clientSecret: string;
  authorityHost: string;
  managementEndpoint: string;
  registryPort: number;
  dnsAddress: string;
  caCertPath: string;
}

export const CREDENTIALS_FILE = "credentials.json";

/** Where this Cove is reached, recorded beside the bootstrap secret. */
export type Endpoints = Pick<Credentials, "managementEndpoint" | "registryPort" | "dnsAddress" | "caCertPath">;

async function exists(p: string): Promise<boolean> {
  try { await access(p); return true; } catch { return false; }
}

/**
 * The stored credentials, or (first start) the bootstrap principal's, written before they are
 * returned. `created` says which, so the caller can log it.
 */
export async function openCredentials(
  dataDir: string,
  bootstrap: () => Promise<BootstrapCredentials>,
  endpoints: Endpoints,
): Promise<{ credentials: Credentials; created: boolean; path: string }> {
  const path = join(dataDir, CREDENTIALS_FILE);
  if (await exists(path)) {
    const stored = JSON.parse(await readFile(path, "utf8")) as Credentials;
    const moved = (Object.keys(endpoints) as (keyof Endpoints)[]).some((k) => stored[k] !== endpoints[k]) || stored.authorityHost !== endpoints.managementEndpoint;
    if (!moved) return { credentials: stored, created: false, path };
    const credentials: Credentials = { ...stored, ...endpoints, authorityHost: endpoints.managementEndpoint };
    await writeFile(path, JSON.stringify(credentials, null, 2) + "\n", { mode: 0o600 });
    return { credentials, created: false, path };
  }
  const boot = await bootstrap();
  const credentials: Credentials = { ...boot, authorityHost: endpoints.managementEndpoint, ...endpoints };
  await writeFile(path, JSON.stringify(credentials, null, 2) + "\n", { mode: 0o600 });
  return { credentials, created: true, path };
}
