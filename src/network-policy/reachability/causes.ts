// The closed catalogue of root causes that preflight, check-health, the report and readiness name
// (docs/toolkit.md "Root causes" lists it; test/toolkit/causes-doc.test.ts keeps the two in step). Order matters
// only for reading: diagnose.ts walks the client's path and names the first break, choosing between
// several breaks by the path the client is meant to use (see diagnose.ts).

export const CAUSES = [
  { code: "REGISTRY_NOT_FOUND", step: "registry", title: "No registry of that name exists in the subscription." },
  { code: "TLS_NAME_MISMATCH", step: "tls", title: "The client uses the privatelink name directly; the certificate covers the login server, not privatelink names." },
  { code: "SKU_UNSUPPORTED", step: "resolve", title: "The client's network is set up for private access, but the registry's SKU has no private endpoints (Premium only)." },
  { code: "DNS_PUBLIC_ANSWER", step: "resolve", title: "The client can reach a private endpoint, but its DNS answers the public address: the privatelink zone is not linked to its VNet." },
  { code: "DNS_NXDOMAIN", step: "resolve", title: "The privatelink zone is linked to the client's VNet but holds no record for the login server." },
  { code: "DNS_WRONG_ADDRESS", step: "resolve", title: "The zone's record points at an address that is not a private endpoint of this registry the client can use (e.g. overwritten by a second zone group)." },
  { code: "NO_ROUTE", step: "connect", title: "DNS answers a private endpoint in a VNet the client's VNet is not peered with (or peered on one side only)." },
  { code: "ENDPOINT_PENDING", step: "connect", title: "The private endpoint connection waits for approval: traffic to its IPs is dropped." },
  { code: "ENDPOINT_REJECTED", step: "connect", title: "The private endpoint connection was rejected: traffic to its IPs is dropped." },
  { code: "ENDPOINT_DISCONNECTED", step: "connect", title: "The private endpoint connection was removed on the registry side: traffic to its IPs is dropped." },
  { code: "ENDPOINT_NOT_LISTENING", step: "connect", title: "DNS answers a private endpoint IP that this Cove cannot listen on (in loopback mode, an address outside 127.0.0.0/8): the registry does not answer there." },
  { code: "DNS_NO_DATA_RECORD", step: "resolve-data", title: "The login server resolves privately but the data endpoint does not: blob downloads go public or fail." },
  { code: "PUBLIC_ACCESS_DISABLED", step: "challenge", title: "The client has no private path and the registry's public network access is disabled." },
  { code: "FIREWALL_DENIED", step: "challenge", title: "The client reaches the public endpoint, and no IP rule of the registry's firewall (default action Deny) allows its address." },
  { code: "AUTH_FAILED", step: "login", title: "The identity could not log in to the registry (unknown principal or wrong secret)." },
  { code: "ROLE_MISSING", step: "token", title: "The identity logs in but holds no role with the data-plane right it needs (AcrPull to pull, AcrPush to push)." },
] as const;

/**
 * Not a configuration cause, and so outside the catalogue: the client saw something no resource
 * explains (a server down, a certificate the client does not trust, a DNS server that does not
 * answer). The evidence says what; there is no fix command.
 */
export const UNEXPECTED = { code: "UNEXPECTED", step: "any", title: "The client saw something no configuration explains: the evidence says what." } as const;

export type CauseCode = (typeof CAUSES)[number]["code"] | typeof UNEXPECTED.code;

export function causeEntry(code: CauseCode): { code: CauseCode; step: string; title: string } {
  return CAUSES.find((c) => c.code === code) ?? UNEXPECTED;
}
