// Cove's own checks after Azure's, one line each, for the same client path: the endpoint connection
// state on that path, the route to it (peering), whether the registry listens at its IP (Cove only),
// the public endpoint's posture (public access, firewall), the identity's data-plane role, the SKU's
// limits and the data endpoint's record. They
// read the model (the ARM resources through the SDK clients) and the live observation; the one root
// cause comes from diagnose.ts, so check-health names the same cause as preflight, with its fix.
import type { Verdict } from "../../../network-policy/reachability/diagnose.js";
import type { CauseCode } from "../../../network-policy/reachability/causes.js";
import type { FixCommand } from "../../../network-policy/reachability/fixes.js";
import type { ReachabilityModel, RegistryInfo } from "../../../network-policy/reachability/model.js";
import type { Observation } from "../../../network-policy/reachability/observation.js";
import type { HealthError, HealthLog } from "./health-log.js";

/** Azure's documented Premium limits (acr-networking.md 7), which Cove enforces. */
const MAX_ENDPOINTS = 200;
const MAX_IP_RULES = 200;

export interface CoveCheckInput {
  model: ReachabilityModel;
  reg: RegistryInfo;
  obs: Observation;
  verdict: Verdict;
  /** The identity that logged in (the profile's client id) and how the directory names it. */
  appId: string;
}

/** The fix lines printed under a Cove error (and under an az error that ends the command). */
export function fixLines(fix: FixCommand[]): string[] {
  return fix.flatMap((f) => [`Fix: ${f.cove}`, `     (az: ${f.az})`]);
}

/** What Cove's checks add to an az error that ends the command: the root cause and its fix. */
export function diagnosisLines(v: Verdict): string[] {
  if (v.ok || !v.cause) return [];
  const ev = Object.entries(v.evidence).map(([k, x]) => `${k}=${x}`).join(", ");
  return [`Cove's diagnosis: ${v.cause}: ${v.summary}`, ...(ev ? [`Evidence: ${ev}`] : []), ...fixLines(v.fix)];
}

function causeError(v: Verdict): HealthError {
  const ev = Object.entries(v.evidence).map(([k, x]) => `${k}=${x}`).join(", ");
  return { title: v.cause!, message: v.summary, extra: [...(ev ? [`Evidence: ${ev}`] : []), ...fixLines(v.fix)] };
}

const ENDPOINT_CAUSES: CauseCode[] = ["ENDPOINT_PENDING", "ENDPOINT_REJECTED", "ENDPOINT_DISCONNECTED"];
const PUBLIC_CAUSES: CauseCode[] = ["PUBLIC_ACCESS_DISABLED", "FIREWALL_DENIED"];
const ROLE_CAUSES: CauseCode[] = ["ROLE_MISSING", "AUTH_FAILED"];

export function coveChecks(log: HealthLog, i: CoveCheckInput): void {
  const { model, reg, obs, verdict: v } = i;
  const cause = v.ok ? undefined : v.cause;
  let reported = false;
  /** A check line: OK, or the root cause when it belongs to this check. */
  const check = (text: string, owns: CauseCode[] | undefined) => {
    if (cause && owns?.includes(cause) && !reported) {
      reported = true;
      log.error(causeError(v));
    } else if (owns) log.pass(text);
    else log.line(text);
  };
  const loc = model.snapshot.locate(obs.source);
  const vnet = loc ? model.vnet(loc.vnetId) : undefined;
  const network = vnet ? `${vnet.name}/${model.subnet(loc!.subnetId)?.name ?? ""}` : `${obs.source} (in no VNet: the internet)`;
  const ip = obs.dns.kind === "address" ? obs.dns.ips[0] : undefined;
  const hit = ip ? model.endpointAtIp(ip) : undefined;
  const pe = hit?.endpoint;

  // 1. The endpoint connection state on this path.
  if (pe) check(`Private endpoint ${pe.name} (connection ${pe.connectionName ?? "none"}) on the path from ${network}: ${pe.status}`, ENDPOINT_CAUSES);
  else {
    const reachable = vnet ? model.endpoints.filter((e) => e.registryKey === reg.key && model.routable(vnet.id, e.vnetId)) : [];
    check(reachable.length
      ? `Private endpoint on the path from ${network}: none, DNS answers ${ip ?? "nothing"} (reachable: ${reachable.map((e) => `${e.name} ${e.status}`).join(", ")})`
      : `Private endpoint on the path from ${network}: none (no endpoint of ${reg.name} is routable from there; the public endpoint is used)`, undefined);
  }

  // 2. The route to that endpoint.
  if (pe) {
    const own = model.vnet(pe.vnetId);
    const via = vnet && vnet.id.toLowerCase() === pe.vnetId.toLowerCase() ? "same VNet"
      : vnet && model.routable(vnet.id, pe.vnetId) ? `peered both ways with ${own?.name ?? pe.vnetId}`
        : `no peering with ${own?.name ?? pe.vnetId}`;
    check(`Route from ${vnet?.name ?? obs.source} to ${pe.name} (${ip}): ${via}`, ["NO_ROUTE"]);
  } else check(`Route from ${network}: the public endpoint`, undefined);

  // 2b. Whether the registry listens at that IP: only Cove says (listenerStatus), Azure serves every endpoint IP.
  const listener = hit?.member.listener;
  if (pe && listener) check(`Registry listener at ${ip}: ${listener.state}${listener.error ? ` (${listener.error})` : ""}`, ["ENDPOINT_NOT_LISTENING"]);

  // 3. The public endpoint's posture, which decides only for clients on the public path.
  const posture = `Public network access ${reg.publicNetworkAccess}, default action ${reg.defaultAction}, ${reg.ipRules.length} IP rule(s)`;
  if (pe) check(`${posture} (not on this client's path)`, undefined);
  else check(`${posture}: ${obs.challenge?.status === 403 ? `${obs.source} is denied` : `${obs.source} is let through`}`, PUBLIC_CAUSES);

  // 4. The identity's data-plane role.
  const holder = model.holders(reg.id).find((h) => h.appId?.toLowerCase() === i.appId.toLowerCase() || h.principalId === model.principal(i.appId)?.objectId.toLowerCase());
  const who = model.principal(i.appId)?.displayName ? `${model.principal(i.appId)!.displayName} (${i.appId})` : i.appId;
  const rights = obs.token ? `token grants ${obs.token.actions.join(",") || "nothing"}` : "no token";
  check(`Data-plane role of ${who} on ${reg.name}: ${holder ? `${holder.roles.join(", ")} (${holder.actions.join(", ")})` : "none"}, ${rights}`, ROLE_CAUSES);

  // 5. The SKU's limits.
  const endpoints = model.endpoints.filter((e) => e.registryKey === reg.key).length;
  check(reg.sku.toLowerCase() === "premium"
    ? `SKU Premium: ${endpoints} of ${MAX_ENDPOINTS} private endpoints, ${reg.ipRules.length} of ${MAX_IP_RULES} IP rules`
    : `SKU ${reg.sku}: no private endpoints, IP rules or dedicated data endpoints (Premium only)`, ["SKU_UNSUPPORTED"]);

  // 6. The data endpoint's record.
  if (reg.dataHost) {
    const d = obs.dataDns;
    const answer = d?.kind === "address" ? d.ips.join(", ") : d?.kind === "failed" ? `no answer (${d.message})` : (d?.kind ?? "not asked").toUpperCase();
    const dataCause = cause === "DNS_NO_DATA_RECORD" || (cause === "DNS_WRONG_ADDRESS" && v.evidence.record?.includes(".data")) ? [cause] : ["DNS_NO_DATA_RECORD" as CauseCode];
    check(`Data endpoint ${reg.dataHost} at IP ${answer}`, dataCause);
  } else check(`Data endpoint: not enabled (layers are served by the login server ${reg.host})`, undefined);

  // The root cause, when none of the checks above owns it (DNS answers, TLS names, the unexpected).
  if (cause && !reported) log.error(causeError(v));
  else if (v.ok) log.pass(`Path from ${network}: ${v.summary}`);
}
