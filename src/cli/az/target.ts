// Which Cove `cove az` drives, and where its az state lives. Read from a data directory's
// credentials.json (the file `cove serve` writes on its first start, as `cove login --from-data-dir`
// reads it): the management endpoint, the tenant, the CA and the bootstrap service principal.
//
//   <data-dir>/az/<host>/               AZURE_CONFIG_DIR, mode 0700 (az keeps the secret in
//     config, clouds.config, ...        service_principal_entries.json): <host> is the lab host
//     cove-cloud.json                   `cove lab exec HOST` runs on (COVE_LAB_HOST), else "local",
//     cove-az.json                      so each host keeps its own login (a build agent's pipeline
//                                       identity, a laptop's developer) and its own token cache.
//
// cove-cloud.json is the `--cloud-config` of `az cloud register`; cove-az.json is written last by
// `cove az setup` (setup.ts) and names the management endpoint it was made for: a set-up for
// another endpoint (the same data dir served in loopback mode, then in lab mode) is no set-up.
import { readFile } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { usageError } from "../errors.js";
import { HOST_ENV, HOST_NAME } from "../../lab/names.js";

export interface AzTarget {
  dataDir: string;
  credentialsFile: string;
  managementEndpoint: string;
  tenantId: string;
  /** The bootstrap service principal's appId (credentials.json clientId). */
  clientId: string;
  clientSecret: string;
  caCertPath?: string;
  /** AZURE_CONFIG_DIR for this host. */
  configDir: string;
}

/** `--data-dir`, else COVE_DATA_DIR, else ./.cove: where `cove serve` keeps it by default. */
export function dataDirOf(flag: string | undefined, env: Record<string, string | undefined>): string {
  return resolve(flag ?? (env.COVE_DATA_DIR || "./.cove"));
}

/** The lab host this runs on (set by `cove lab exec`), else "local". */
export function hostKey(env: Record<string, string | undefined>): string {
  const host = env[HOST_ENV];
  if (host === undefined || host === "") return "local";
  if (!HOST_NAME.test(host)) throw usageError(`${HOST_ENV}='${host.slice(0, 40)}' is not a lab host name.`);
  return host;
}

export async function readTarget(dataDir: string, env: Record<string, string | undefined>): Promise<AzTarget> {
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
    configDir: join(dataDir, "az", hostKey(env)),
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
