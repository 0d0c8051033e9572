// Which Cove `cove az` drives, and where its az state lives. Read from a data directory's
// credentials.json (the file `cove serve` writes on its first start, as `cove login --from-data-dir`
// reads it): the management endpoint, the tenant, the CA and the bootstrap service principal.
//
//   <data-dir>/az/<host>_<port>/        AZURE_CONFIG_DIR, mode 0700 (az keeps the secret in
//     config, clouds.config, ...        service_principal_entries.json), one per management endpoint:
//     cove-cloud.json                   the same data dir served in loopback mode and in lab mode
//     cove-az.json                      (https://198.19.255.254:8443) gets two set-ups, never a mix.
//
// cove-cloud.json is the `--cloud-config` of `az cloud register`; cove-az.json is written last by
// `cove az setup` (setup.ts), so its presence means "set up".
import { readFile } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { usageError } from "../errors.js";

export interface AzTarget {
  dataDir: string;
  credentialsFile: string;
  managementEndpoint: string;
  tenantId: string;
  /** The bootstrap service principal's appId (credentials.json clientId). */
  clientId: string;
  clientSecret: string;
  caCertPath?: string;
  /** AZURE_CONFIG_DIR for this endpoint. */
  configDir: string;
}

/** `--data-dir`, else COVE_DATA_DIR, else ./.cove: where `cove serve` keeps it by default. */
export function dataDirOf(flag: string | undefined, env: Record<string, string | undefined>): string {
  return resolve(flag ?? (env.COVE_DATA_DIR || "./.cove"));
}

/** "198.19.255.254_8443" for https://198.19.255.254:8443; IPv6 brackets and colons become "_". */
export function endpointKey(endpoint: string): string {
  const u = new URL(endpoint);
  return `${u.hostname.replace(/^\[|\]$/g, "").replace(/[^A-Za-z0-9.-]/g, "_")}_${u.port || "443"}`;
}

export async function readTarget(dataDir: string): Promise<AzTarget> {
  const file = join(dataDir, "credentials.json");
  let c: Record<string, unknown>;
  try {
    c = JSON.parse(await readFile(file, "utf8"));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === "ENOENT"
      ? "does not exist (has 'cove serve --data-dir' started once? Pass --data-dir or set COVE_DATA_DIR)"
      : `is unreadable: ${(e as Error).message}`;
    throw usageError(`argument --data-dir: ${file} ${why}`);
  }
  const need = ["tenantId", "clientId", "clientSecret", "managementEndpoint"];
  const missing = need.filter((k) => typeof c[k] !== "string" || c[k] === "");
  if (missing.length) throw usageError(`argument --data-dir: ${file} lacks ${missing.join(", ")}`);
  let endpoint: string;
  try {
    const u = new URL(String(c.managementEndpoint));
    if (u.protocol !== "https:") throw new Error("not https");
    endpoint = u.origin;
  } catch {
    throw usageError(`argument --data-dir: ${file} has no https managementEndpoint`);
  }
  const ca = typeof c.caCertPath === "string" && c.caCertPath ? c.caCertPath : undefined;
  return {
    dataDir,
    credentialsFile: file,
    managementEndpoint: endpoint,
    tenantId: String(c.tenantId),
    clientId: String(c.clientId),
    clientSecret: String(c.clientSecret),
    caCertPath: ca ? (isAbsolute(ca) ? ca : resolve(dataDir, ca)) : undefined,
    configDir: join(dataDir, "az", endpointKey(endpoint)),
  };
}

export const CLOUD_NAME = "Cove";
export const CLOUD_CONFIG_FILE = "cove-cloud.json";
export const SETUP_FILE = "cove-az.json";

/**
 * The custom cloud, explicit endpoints so that nothing is discovered (az-cli.md 2-3): the /adfs
 * authority (MSAL 1.21 then skips Microsoft's instance discovery), every resource id the
 * management endpoint with a trailing slash (the token scope becomes `<endpoint>//.default`, which
 * Cove's token endpoint accepts), and microsoftGraphResourceId too, which only --cloud-config can
 * set in 2.45: az's Graph client sends `<it>v1.0/...` to Cove's Graph subset.
 */
export function cloudConfig(managementEndpoint: string, loginServerSuffix: string): object {
  const root = `${managementEndpoint}/`;
  return {
    endpoints: {
      resourceManager: root,
      activeDirectory: `${managementEndpoint}/adfs`,
      activeDirectoryResourceId: root,
      activeDirectoryGraphResourceId: root,
      microsoftGraphResourceId: root,
    },
    suffixes: { acrLoginServerEndpoint: `.${loginServerSuffix}` },
  };
}
