// A logged-in session: the profile's service principal as a ClientSecretCredential against
// Cove's own identity provider, and the official SDK clients pointed at the management
// endpoint. Facts this relies on (../shared/reference/azure-sdk-clients.md sections 0, 1, 4):
// TLS is mandatory (the CA goes in `tlsOptions`), `disableInstanceDiscovery` is mandatory,
// arm-containerregistry v12 takes `endpoint` (never `baseUri`), and the token scope is
// `${endpoint}/.default`. `--debug` logs method, URL and status only: never headers or bodies,
// which carry tokens, client secrets and registry passwords.
import { readFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { ClientSecretCredential, DefaultAzureCredential } from "@azure/identity";
import type { TokenCredential } from "@azure/identity";
import { ContainerRegistryManagementClient } from "@azure/arm-containerregistry";
import { ResourceManagementClient } from "@azure/arm-resources";
import { AuthorizationManagementClient } from "@azure/arm-authorization";
import type { NetworkManagementClient } from "@azure/arm-network";
import type { PrivateDnsManagementClient } from "@azure/arm-privatedns";
import type { PolicyClient } from "@azure/arm-policy";
import type { PolicyClient as PolicyExemptionsClient } from "@azure/arm-policy-5";
import type { PolicyInsightsClient } from "@azure/arm-policyinsights";
import { CliError, ServiceError, usageError } from "./errors.js";
import { EXIT_AUTH } from "./exit-codes.js";
import type { Profile } from "./profile.js";

export type DebugLog = (message: string) => void;

export interface Session {
  readonly profile: Profile;
  readonly credential: TokenCredential;
  /** `/subscriptions/<id>`, the default scope of role commands. */
  readonly subscriptionScope: string;
  acr(): ContainerRegistryManagementClient;
  resources(): ResourceManagementClient;
  authorization(): AuthorizationManagementClient;
  /**
   * Loaded on first use (dynamic import): @azure/arm-network alone adds ~0.3 s and ~25 MB to
   * every command, and only the `network` commands need it.
   */
  network(): Promise<NetworkManagementClient>;
  privateDns(): Promise<PrivateDnsManagementClient>;
  /** Azure Policy definitions and assignments (@azure/arm-policy 7, api 2025-03-01), loaded on first use like network(). */
  policy(): Promise<PolicyClient>;
  /** Policy exemptions: @azure/arm-policy 5.1 (npm alias arm-policy-5), the last release that has them (api 2020-07-01-preview). */
  policyExemptions(): Promise<PolicyExemptionsClient>;
  /** Compliance states, evaluation scans and remediations (@azure/arm-policyinsights 6, api 2024-10-01). */
  policyInsights(): Promise<PolicyInsightsClient>;
  /** An access token for the management endpoint (proves the credentials at login). */
  token(): Promise<string>;
  /** A JSON request to the management endpoint outside the SDKs (Cove's identity API, /subscriptions). */
  request<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  /** Throws the real cause (connection, TLS, unknown tenant) when the identity provider cannot be reached. */
  probe(): Promise<void>;
}

/** Largest JSON answer read from the management endpoint outside the SDKs. */
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;
const REQUEST_TIMEOUT_MS = 30_000;

function readCa(path: string | undefined): Buffer | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path);
  } catch (e) {
    throw usageError(`Cannot read the CA certificate '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function debugPolicy(log: DebugLog) {
  return {
    name: "coveDebugLog",
    async sendRequest(req: { method: string; url: string }, next: (r: any) => Promise<{ status: number }>) {
      const started = Date.now();
      log(`Request: ${req.method} ${req.url}`);
      try {
        const res = await next(req);
        log(`Response: ${res.status} ${req.method} ${req.url} (${Date.now() - started} ms)`);
        return res;
      } catch (e) {
        log(`Request failed: ${req.method} ${req.url}: ${(e as Error).name} (${Date.now() - started} ms)`);
        throw e;
      }
    },
  };
}

/**
 * `DefaultAzureCredential` for a `--default-credential` login: environment variables
 * (AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_TENANT_ID), workload or managed identity, or az's own
 * login. Instance discovery stays on for Azure's clouds and is off for any other authority (Cove's
 * identity provider has no discovery endpoint of Microsoft's).
 */
function defaultCredential(profile: Profile, common: { tlsOptions?: unknown; retryOptions: unknown }): TokenCredential {
  return new DefaultAzureCredential({
    authorityHost: profile.authorityHost,
    tenantId: profile.tenantId || undefined,
    disableInstanceDiscovery: profile.cloud === undefined,
    tlsOptions: common.tlsOptions,
    retryOptions: common.retryOptions,
  } as ConstructorParameters<typeof DefaultAzureCredential>[0]);
}

/** A credential for another principal of the profile's tenant (preflight's `--as`), trusting the profile's CA. */
export function credentialFor(profile: Profile, clientId: string, clientSecret: string): TokenCredential {
  const ca = readCa(profile.caCertPath);
  return new ClientSecretCredential(profile.tenantId, clientId, clientSecret, {
    authorityHost: profile.authorityHost,
    disableInstanceDiscovery: true,
    tlsOptions: ca ? { ca } : undefined,
    retryOptions: { maxRetries: 1, retryDelayInMs: 200, maxRetryDelayInMs: 1000 },
  } as ConstructorParameters<typeof ClientSecretCredential>[3]);
}

/**
 * A credential that hands out one token it was given, never asking an identity provider: the
 * networking page's evidence export (src/web/evidence-route.ts) builds its bundle as its caller,
 * with the caller's own bearer token, so the bundle holds exactly what that principal may read.
 * When the token runs out the management endpoint answers 401, as it would to the caller.
 */
export function staticTokenCredential(token: string, expiresOnTimestamp: number): TokenCredential {
  return { getToken: async () => ({ token, expiresOnTimestamp }) };
}

export interface SessionOptions {
  /** Use this credential instead of the profile's (its clientSecret and credential fields are then not read). */
  credential?: TokenCredential;
}

export function createSession(profile: Profile, log?: DebugLog, options: SessionOptions = {}): Session {
  const ca = readCa(profile.caCertPath);
  const endpoint = profile.managementEndpoint.replace(/\/+$/, "");
  const scope = `${endpoint}/.default`;
  const common = {
    tlsOptions: ca ? { ca } : undefined,
    // The SDK default (3 retries with backoff) makes "server is down" take seconds; one retry
    // still rides over a restart.
    retryOptions: { maxRetries: 1, retryDelayInMs: 200, maxRetryDelayInMs: 1000 },
    additionalPolicies: log ? [{ policy: debugPolicy(log) as any, position: "perRetry" as const }] : [],
  };
  const credential = options.credential ?? (profile.credential === "default"
    ? defaultCredential(profile, common)
    : new ClientSecretCredential(profile.tenantId, profile.clientId, profile.clientSecret, {
      authorityHost: profile.authorityHost,
      disableInstanceDiscovery: true,
      ...common,
    }));
  let acr: ContainerRegistryManagementClient | undefined;
  let resources: ResourceManagementClient | undefined;
  let authorization: AuthorizationManagementClient | undefined;
  let network: NetworkManagementClient | undefined;
  let privateDns: PrivateDnsManagementClient | undefined;
  let policy: PolicyClient | undefined;
  let policyExemptions: PolicyExemptionsClient | undefined;
  let policyInsights: PolicyInsightsClient | undefined;

  async function token(): Promise<string> {
    const t = await credential.getToken(scope);
    if (!t) throw new CliError("Authentication failed: the identity provider returned no token.", EXIT_AUTH);
    return t.token;
  }

  function send(method: string, url: URL, headers: Record<string, string>, payload?: Buffer): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(url, { method, ca, timeout: REQUEST_TIMEOUT_MS, headers }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > MAX_RESPONSE_BYTES) {
            req.destroy(new Error(`response from ${url.pathname} exceeds ${MAX_RESPONSE_BYTES} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      });
      req.on("timeout", () => req.destroy(Object.assign(new Error(`request to ${url.pathname} timed out`), { code: "ETIMEDOUT" })));
      req.on("error", reject);
      req.end(payload);
    });
  }

  async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const bearer = await token();
    const url = new URL(path, endpoint + "/");
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const started = Date.now();
    log?.(`Request: ${method} ${url.href}`);
    const { status, text } = await send(method, url, {
      authorization: `Bearer ${bearer}`,
      accept: "application/json",
      ...(payload ? { "content-type": "application/json", "content-length": String(payload.length) } : {}),
    }, payload);
    log?.(`Response: ${status} ${method} ${url.href} (${Date.now() - started} ms)`);
    let parsed: unknown;
    if (text.trim() !== "") {
      try { parsed = JSON.parse(text); } catch { parsed = undefined; }
    }
    if (status >= 400) {
      const err = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw new ServiceError(status, err?.code, err?.message ?? `${method} ${url.pathname} answered ${status}`);
    }
    return parsed as T;
  }

  /**
   * Fetches the identity provider's discovery document directly. MSAL reports any failure there
   * (refused connection, untrusted certificate) only as `endpoints_resolution_error`; this call
   * surfaces the real cause (ECONNREFUSED, UNABLE_TO_VERIFY_LEAF_SIGNATURE, ...).
   */
  async function probe(): Promise<void> {
    const url = new URL(`${profile.authorityHost.replace(/\/+$/, "")}/${encodeURIComponent(profile.tenantId)}/v2.0/.well-known/openid-configuration`);
    log?.(`Request: GET ${url.href}`);
    const { status } = await send("GET", url, { accept: "application/json" });
    log?.(`Response: ${status} GET ${url.href}`);
    if (status >= 400) throw new CliError(`The identity provider at ${profile.authorityHost} does not know tenant '${profile.tenantId}' (HTTP ${status}).`, EXIT_AUTH);
  }

  return {
    profile,
    credential,
    subscriptionScope: `/subscriptions/${profile.subscriptionId}`,
    acr: () => (acr ??= new ContainerRegistryManagementClient(credential, profile.subscriptionId, { endpoint, ...common })),
    resources: () => (resources ??= new ResourceManagementClient(credential, profile.subscriptionId, { endpoint, ...common })),
    authorization: () => (authorization ??= new AuthorizationManagementClient(credential, profile.subscriptionId, { endpoint, ...common })),
    async network() {
      const { NetworkManagementClient } = await import("@azure/arm-network");
      return (network ??= new NetworkManagementClient(credential, profile.subscriptionId, { endpoint, ...common }));
    },
    async privateDns() {
      const { PrivateDnsManagementClient } = await import("@azure/arm-privatedns");
      return (privateDns ??= new PrivateDnsManagementClient(credential, profile.subscriptionId, { endpoint, ...common }));
    },
    async policy() {
      const { PolicyClient } = await import("@azure/arm-policy");
      return (policy ??= new PolicyClient(credential, profile.subscriptionId, { endpoint, ...common }));
    },
    async policyExemptions() {
      const { PolicyClient } = await import("@azure/arm-policy-5");
      return (policyExemptions ??= new PolicyClient(credential, profile.subscriptionId, { endpoint, ...common }));
    },
    async policyInsights() {
      const { PolicyInsightsClient } = await import("@azure/arm-policyinsights");
      return (policyInsights ??= new PolicyInsightsClient(credential, profile.subscriptionId, { endpoint, ...common }));
    },
    token,
    request,
    probe,
  };
}
