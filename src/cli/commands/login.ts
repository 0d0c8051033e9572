// `cove login`, `cove logout`, `cove account show`. Login proves the credentials by getting a
// token from Cove's identity provider before it stores anything, as `az login` does, then
// writes the profile (profile.ts). The secret is never printed.
import { access, readFile } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import type { CommandSpec, GroupSpec } from "../command.js";
import { CliError, notLoggedIn, usageError } from "../errors.js";
import { EXIT_AUTH } from "../exit-codes.js";
import { choice, parseHttpsUrl, parseNonEmpty } from "../flags.js";
import { loadProfile, removeProfile, saveProfile, type Profile } from "../profile.js";

export const groups: GroupSpec[] = [{ name: "account", summary: "The account `cove login` stored." }];

/** Azure's clouds: ARM and sign-in endpoints (az cloud show). */
const CLOUDS = {
  AzureCloud: { managementEndpoint: "https://management.azure.com", authorityHost: "https://login.microsoftonline.com" },
  AzureChinaCloud: { managementEndpoint: "https://management.chinacloudapi.cn", authorityHost: "https://login.chinacloudapi.cn" },
  AzureUSGovernment: { managementEndpoint: "https://management.usgovcloudapi.net", authorityHost: "https://login.microsoftonline.us" },
} as const;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The shape of `az account show`, without the secret. */
export function accountView(p: Profile): Record<string, unknown> {
  return {
    environmentName: p.cloud ?? "Cove",
    homeTenantId: p.tenantId,
    id: p.subscriptionId,
    isDefault: true,
    managedByTenants: [],
    managementEndpoint: p.managementEndpoint,
    name: p.subscriptionId,
    state: "Enabled",
    tenantId: p.tenantId,
    user: p.credential === "default" ? { name: "DefaultAzureCredential", type: "credential" } : { name: p.clientId, type: "servicePrincipal" },
  };
}

async function fromDataDir(dir: string): Promise<Profile> {
  const file = join(dir, "credentials.json");
  let c: Record<string, unknown>;
  try {
    c = JSON.parse(await readFile(file, "utf8"));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === "ENOENT" ? "does not exist (has 'cove serve --data-dir' started once?)" : `is unreadable: ${(e as Error).message}`;
    throw usageError(`argument --from-data-dir: ${file} ${why}`);
  }
  const need = ["tenantId", "subscriptionId", "clientId", "clientSecret", "managementEndpoint"];
  const missing = need.filter((k) => typeof c[k] !== "string" || c[k] === "");
  if (missing.length) throw usageError(`argument --from-data-dir: ${file} lacks ${missing.join(", ")}`);
  const endpoint = String(c.managementEndpoint).replace(/\/+$/, "");
  const named = typeof c.caCertPath === "string" && c.caCertPath ? (isAbsolute(c.caCertPath) ? c.caCertPath : resolve(dir, c.caCertPath)) : undefined;
  // A data dir mounted elsewhere (a container's /var/lib/cove seen from the host) names its CA by the
  // path inside; the CA is still at <dir>/ca/ca.crt.
  const beside = join(dir, "ca", "ca.crt");
  const ca = named && !(await exists(named)) && (await exists(beside)) ? beside : named;
  return {
    managementEndpoint: endpoint,
    authorityHost: typeof c.authorityHost === "string" && c.authorityHost ? String(c.authorityHost).replace(/\/+$/, "") : endpoint,
    tenantId: String(c.tenantId),
    subscriptionId: String(c.subscriptionId),
    clientId: String(c.clientId),
    clientSecret: String(c.clientSecret),
    caCertPath: ca,
    dnsServer: typeof c.dnsAddress === "string" && c.dnsAddress ? c.dnsAddress : undefined,
  };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

interface SubscriptionList { value?: { id?: string; subscriptionId?: string }[] }

export const commands: CommandSpec[] = [
  {
    name: "login",
    summary: "Log in with a service principal, or with the bootstrap credentials of a data directory.",
    options: [
      { flags: "--from-data-dir <dir>", description: "Use <dir>/credentials.json, written by 'cove serve' on first start." },
      { flags: "--service-principal", description: "Log in as a service principal (needs -u, -p, --tenant, --management-endpoint)." },
      { flags: "-u, --username <appId>", description: "Application (client) id of the service principal.", parse: parseNonEmpty },
      { flags: "-p, --password <secret>", description: "Client secret of the service principal.", parse: parseNonEmpty },
      { flags: "-t, --tenant <tenant>", description: "Tenant id.", parse: parseNonEmpty },
      { flags: "--management-endpoint <url>", description: "Cove's management endpoint, e.g. https://127.0.0.1:8443.", parse: parseHttpsUrl },
      { flags: "--ca-cert <file>", description: "CA certificate that signed Cove's TLS certificate (<data-dir>/ca.crt)." },
      { flags: "--subscription <id>", description: "Subscription id (default: the first one the endpoint lists)." },
      { flags: "--cloud <name>", description: `An Azure cloud whose ARM and sign-in endpoints to use: ${Object.keys(CLOUDS).join(", ")}.`, parse: choice(Object.keys(CLOUDS)) },
      { flags: "--authority-host <url>", description: "The identity provider, when it is not the management endpoint (Cove's is) nor the --cloud's.", parse: parseHttpsUrl },
      { flags: "--default-credential", description: "Sign in with DefaultAzureCredential (AZURE_CLIENT_ID/AZURE_CLIENT_SECRET/AZURE_TENANT_ID, workload or managed identity, az's login); no secret is stored." },
    ],
    async run(opts, ctx) {
      let profile: Profile;
      const cloud = opts.cloud ? CLOUDS[opts.cloud as keyof typeof CLOUDS] : undefined;
      const endpoint: string | undefined = opts.managementEndpoint ?? cloud?.managementEndpoint;
      const authority: string | undefined = opts.authorityHost ?? cloud?.authorityHost ?? endpoint;
      if (opts.defaultCredential && (opts.fromDataDir !== undefined || opts.servicePrincipal || opts.username || opts.password)) {
        throw usageError("--default-credential cannot be combined with --from-data-dir, --service-principal, -u or -p.");
      }
      if (opts.defaultCredential) {
        if (!endpoint) throw usageError("--default-credential needs --cloud NAME or --management-endpoint URL.");
        profile = {
          managementEndpoint: endpoint, authorityHost: authority!, tenantId: opts.tenant ?? "", subscriptionId: opts.subscription ?? "",
          clientId: "", clientSecret: "", credential: "default", cloud: opts.cloud, caCertPath: opts.caCert ? resolve(opts.caCert) : undefined,
        };
      } else if (opts.fromDataDir !== undefined) {
        if (opts.servicePrincipal || opts.username || opts.password) throw usageError("--from-data-dir cannot be combined with --service-principal, -u or -p.");
        profile = await fromDataDir(opts.fromDataDir);
        if (opts.caCert) profile.caCertPath = resolve(opts.caCert);
      } else if (opts.servicePrincipal) {
        const missing = [["-u/--username", opts.username], ["-p/--password", opts.password], ["--tenant", opts.tenant], ["--management-endpoint (or --cloud)", endpoint]]
          .filter(([, v]) => v === undefined).map(([k]) => k);
        if (missing.length) throw usageError(`the following arguments are required for --service-principal: ${missing.join(", ")}`);
        profile = {
          managementEndpoint: endpoint!,
          authorityHost: authority!,
          cloud: opts.cloud,
          tenantId: opts.tenant,
          subscriptionId: opts.subscription ?? "",
          clientId: opts.username,
          clientSecret: opts.password,
          caCertPath: opts.caCert ? resolve(opts.caCert) : undefined,
        };
      } else {
        throw usageError("Use 'cove login --from-data-dir DIR', 'cove login --service-principal -u APPID -p SECRET --tenant TENANT (--management-endpoint URL | --cloud NAME)' or 'cove login --default-credential (--management-endpoint URL | --cloud NAME)'.");
      }
      if (opts.subscription !== undefined) {
        if (!GUID.test(opts.subscription)) throw usageError("argument --subscription: expected a subscription id (GUID).");
        profile.subscriptionId = opts.subscription;
      }

      const { createSession } = await import("../session.js");
      const session = createSession(profile, ctx.debug);
      // A clear error for "not running" and "CA not trusted" (the discovery document names the tenant).
      if (profile.tenantId) await session.probe();
      await session.token(); // proves the credentials (exit 4 when refused)
      if (!profile.subscriptionId) {
        const list = await session.request<SubscriptionList>("GET", "/subscriptions?api-version=2019-11-01");
        const first = list?.value?.[0];
        const id = first?.subscriptionId ?? first?.id?.split("/").pop();
        if (!id) throw new CliError("No subscriptions found for this service principal; pass --subscription.", EXIT_AUTH);
        profile.subscriptionId = id;
      }
      const path = await saveProfile(ctx.env, profile);
      ctx.debug(`profile written to ${path}`);
      return [accountView(profile)];
    },
  },
  {
    name: "logout",
    summary: "Forget the stored login.",
    options: [],
    async run(_opts, ctx) {
      if (!(await removeProfile(ctx.env))) throw new CliError("There are no active accounts.", EXIT_AUTH);
      return undefined;
    },
  },
  {
    name: "account show",
    summary: "Show the logged-in account (never the secret).",
    options: [],
    async run(_opts, ctx) {
      const p = await loadProfile(ctx.env);
      if (!p) throw notLoggedIn();
      return accountView(p);
    },
  },
];
