// Azure's registry checks of `az acr check-health`, in its order and with its codes (acr/check_health.py
// `_get_registry_status` and `_get_endpoint_and_token_status`), read off one live walk of the
// client's path (observe.ts) instead of the machine's resolver and proxy settings: the DNS lookup
// as the client's network answers it, the /v2/ challenge, the refresh token (AAD token exchanged at
// /oauth2/exchange) and the access token.
import type { LiveResult } from "./observe.js";
import { azError, type HealthError, type HealthLog } from "./health-log.js";

export interface AzureCheckInput {
  /** As ARM shows it ("<name>.<suffix>[:<port>]"): az prints the login server it got from ARM. */
  loginServer: string;
  registryName: string;
  live: LiveResult;
}

/**
 * The first error among Azure's checks, with the pass lines before it printed; undefined when all
 * passed. The error is reported through `log` (which throws unless --ignore-errors).
 */
export function azureChecks(log: HealthLog, i: AzureCheckInput): HealthError | undefined {
  const { live, loginServer } = i;
  const o = live.observation;
  const step = (name: string) => live.steps.find((s) => s.name === name);
  const report = (e: HealthError) => { log.error(e); return e; };

  if (o.dns.kind !== "address") return report(azError("CONNECTIVITY_DNS_ERROR", loginServer));
  log.pass(`DNS lookup to ${loginServer} at IP ${o.dns.ips[0]}`);

  // requests.get('https://<login>/v2/'): an SSLError is CONNECTIVITY_SSL_ERROR, any other failure to
  // get an answer CONNECTIVITY_CHALLENGE_ERROR, a 403 CONNECTIVITY_FORBIDDEN_ERROR.
  const t = o.transport;
  if (t && (t.kind === "name-mismatch" || t.kind === "untrusted")) return report(azError("CONNECTIVITY_SSL_ERROR", loginServer));
  if (!t || t.kind !== "ok" || !o.challenge) return report(azError("CONNECTIVITY_CHALLENGE_ERROR", loginServer));
  if (o.challenge.status === 403) return report(azError("CONNECTIVITY_FORBIDDEN_ERROR", loginServer, i.registryName));

  // _handle_challenge_phase: 401 with WWW-Authenticate, else no challenge; Bearer realm and service, else no AAD login.
  const ch = live.challenge;
  if (o.challenge.status !== 401 || !ch) return report(azError("CONNECTIVITY_CHALLENGE_ERROR", loginServer));
  if (ch.scheme.toLowerCase() !== "bearer" || !ch.realm || !ch.service) return report(azError("CONNECTIVITY_AAD_LOGIN_ERROR", loginServer));
  log.pass(`Challenge endpoint https://${loginServer}/v2/`);

  if (step("login")?.result !== "ok") return report(azError("CONNECTIVITY_REFRESH_TOKEN_ERROR", loginServer, o.login?.status ?? 0));
  log.pass(`Fetch refresh token for registry '${loginServer}'`);

  // az asks for registry:catalog:* and checks only the status; which rights the token carries is
  // Cove's role check, further down.
  if (!o.token || o.token.status !== 200) return report(azError("CONNECTIVITY_ACCESS_TOKEN_ERROR", loginServer, o.token?.status ?? 0));
  log.pass(`Fetch access token for registry '${loginServer}'`);
  return undefined;
}
