// The network decision (DESIGN.md section 4, acr-networking.md 3-4): a pure function of the
// snapshot, the listener that accepted the connection and the client address, called first in the
// request pipeline, before authentication. No I/O, nothing from http/: the pipeline maps the
// effect to the wire ("forbidden" -> 403 DENIED, "drop" -> connection closed without an answer).
//
// Public endpoint, as Azure:
//   publicNetworkAccess Disabled                  -> deny (it "overrides all firewall configurations")
//   networkRuleSet.defaultAction Allow            -> allow
//   client IPv4 in an ipRules address or CIDR     -> allow, else deny
// Private endpoint IP (IP rules and publicNetworkAccess never apply, "IP network rules don't apply
// to private endpoints"):
//   no endpoint at that IP                        -> drop
//   connection not Approved                       -> drop (Azure: i/o timeout)
//   client not in the endpoint's VNet or a peered one -> drop (no route: i/o timeout)
//   request names another registry                -> forbidden (TLS and HTTP already answered)

import type { Decision, DenyReason, NetworkSnapshot, RegistryNetwork, Via } from "./types.js";
import { ipv4ToNumber, unwrapMapped } from "./ip-address.js";
import { compileRules, inRanges, type IpRanges } from "./ip-ranges.js";

const ALLOW: Decision = Object.freeze({ allow: true });

function deny(reason: DenyReason, effect: "forbidden" | "drop", rule: string): Decision {
  return { allow: false, reason, effect, rule };
}

// Each registry's rules are compiled once into sorted, merged [first, last] address ranges searched
// by bisection: RegistryNetwork objects are frozen and rebuilt with every snapshot, so keying by them
// is keying by snapshot, and old entries go with their snapshot. Not node:net BlockList, which the
// house style suggests: it tests its rules one by one, 3-4 µs per call with 200 rules (measured by
// bench/decision-bench.ts), twice the budget of the whole decision; bisection is ~8 steps.
const compiled = new WeakMap<RegistryNetwork, IpRanges>();

function rulesOf(reg: RegistryNetwork): IpRanges {
  let ranges = compiled.get(reg);
  if (!ranges) compiled.set(reg, (ranges = compileRules(reg.ipRules)));
  return ranges;
}

function decidePublic(state: NetworkSnapshot, clientIp: string, registryKey: string | undefined): Decision {
  // No registry named by the Host header: the pipeline answers unknown hosts itself.
  if (registryKey === undefined) return ALLOW;
  const reg = state.registryByKey(registryKey);
  if (!reg) return ALLOW;
  if (reg.publicNetworkAccess === "Disabled") return deny("public-network-access-disabled", "forbidden", "publicNetworkAccess=Disabled");
  if (reg.defaultAction === "Allow") return ALLOW;
  // IPv6 clients never match: Azure's ipRules are IPv4 only.
  const ip = ipv4ToNumber(clientIp);
  if (ip >= 0 && inRanges(rulesOf(reg), ip)) return ALLOW;
  return deny("ip-not-allowed", "forbidden", "networkRuleSet.defaultAction=Deny");
}

function decidePrivate(state: NetworkSnapshot, endpointIp: string, clientIp: string, registryKey: string | undefined): Decision {
  const ep = state.endpointAt(endpointIp);
  if (!ep) return deny("no-such-endpoint", "drop", `privateEndpoint@${unwrapMapped(endpointIp)}=none`);
  if (ep.status !== "Approved") {
    return deny("endpoint-not-approved", "drop", `privateLinkServiceConnectionState.status=${ep.status} (${ep.endpointId})`);
  }
  const where = state.locate(clientIp);
  if (!where || (where.vnetId !== ep.vnetId && !state.peered(where.vnetId, ep.vnetId))) {
    return deny("endpoint-unreachable-from-network", "drop", `client network=${where?.vnetId ?? "internet"} is neither ${ep.vnetId} nor peered with it`);
  }
  if (registryKey !== undefined && registryKey !== ep.registryKey && registryKey.toLowerCase() !== ep.registryKey) {
    return deny("endpoint-of-another-registry", "forbidden", `endpoint registry=${ep.registryKey}, requested registry=${registryKey.toLowerCase()}`);
  }
  return ALLOW;
}

/**
 * May this client use this listener (for this registry)? `via.address` is the local address the
 * connection arrived on (for a private listener: the endpoint IP); `clientIp` comes from the socket
 * or a trusted proxy; `registryKey` is the lower-cased registry resource id named by the Host header.
 */
export function decide(state: NetworkSnapshot, via: Via, clientIp: string, registryKey?: string): Decision {
  return via.kind === "public" ? decidePublic(state, clientIp, registryKey) : decidePrivate(state, via.address, clientIp, registryKey);
}
