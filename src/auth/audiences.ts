// Which access-token audiences each surface accepts (issue: a token asked for
// `scope=https://evil.example/.default` carries `aud=https://evil.example` and must be worth nothing
// at Cove). The identity provider signs a token for whatever resource a client names, as Entra does;
// the surface that receives the token decides whether it was meant for it, as ARM and ACR do.
//
//   management API   the management endpoint's resource id, `https://<host>:<port>` for every host
//                    name it is reached by (the configured address and localhost), with or without the
//                    trailing slash that az and the SDKs add (`https://h:8443//.default` gives
//                    `aud=https://h:8443/`), plus ARM's public-cloud names as aliases:
//                    `https://management.azure.com` and `https://management.core.windows.net`
//                    (a client configured for Azure's audience, e.g. @azure/container-registry's
//                    AzureResourceManagerPublicCloud, keeps working).
//   /oauth2/exchange as ACR (acr-networking.md 5.1): the ARM audience above while the registry's
//                    `azureADAuthenticationAsArmPolicy` is enabled (the default), and always the
//                    container registry audience `https://containerregistry.azure.net`.
//
// Audiences compare case-insensitively and without trailing slashes: ARM lists both spellings
// of each of its names as allowed.

/** ARM's own resource ids, accepted as aliases of the management endpoint's. */
export const ARM_AUDIENCE_ALIASES = ["https://management.azure.com", "https://management.core.windows.net"] as const;
/** What @azure/container-registry asks for by default (`https://containerregistry.azure.net/.default`). */
export const CONTAINER_REGISTRY_AUDIENCE = "https://containerregistry.azure.net";

/** Lower case, no trailing slashes: the form audiences are compared in. */
export function normalizeAudience(aud: string): string {
  return aud.trim().toLowerCase().replace(/\/+$/, "");
}

/** The `aud` claim as a list of strings (a JWT may carry one string or an array). */
export function audiencesOf(aud: unknown): string[] {
  const list = Array.isArray(aud) ? aud : [aud];
  return list.filter((a): a is string => typeof a === "string");
}

export class AudienceSet {
  private readonly allowed: Set<string>;
  /** As configured, for error messages (both spellings, as ARM lists them). */
  readonly display: string[];

  constructor(audiences: Iterable<string>) {
    this.allowed = new Set();
    for (const a of audiences) this.allowed.add(normalizeAudience(a));
    this.display = [...this.allowed].flatMap((a) => [`${a}/`, a]);
  }

  /** True when any of the token's audiences is one of ours. */
  accepts(aud: unknown): boolean {
    return audiencesOf(aud).some((a) => this.allowed.has(normalizeAudience(a)));
  }

  with(more: Iterable<string>): AudienceSet {
    return new AudienceSet([...this.allowed, ...more]);
  }
}

/**
 * The management endpoint's audiences: `https://<name>[:<port>]` for the listen host and the other
 * names its certificate covers, plus the ARM aliases.
 */
export function managementAudiences(listen: { host: string; port: number }, extraHosts: string[] = []): AudienceSet {
  const hosts = new Set([listen.host, "localhost", ...extraHosts].map((h) => h.toLowerCase()));
  const out: string[] = [];
  for (const h of hosts) {
    const name = h.includes(":") && !h.startsWith("[") ? `[${h}]` : h;
    out.push(`https://${name}:${listen.port}`);
    if (listen.port === 443) out.push(`https://${name}`);
  }
  return new AudienceSet([...out, ...ARM_AUDIENCE_ALIASES]);
}
