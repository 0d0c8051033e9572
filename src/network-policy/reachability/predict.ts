// The modelled Observation: what a client at `source` would see, computed with the functions the
// server answers and enforces with: dns/answers.ts `resolve` in the client's dns/views.ts view, and
// decide.ts for the listener the answer leads to. Only the secret is out of the model's reach: a
// known principal is modelled as logging in (a wrong secret shows only live).
import { QTYPE, resolve } from "../../dns/answers.js";
import { viewOf } from "../../dns/views.js";
import { decide } from "../decide.js";
import type { DnsSeen, HttpSeen, Observation, TransportSeen } from "./observation.js";
import { PUBLIC_ENDPOINT, type ReachabilityModel, type RegistryInfo } from "./model.js";

export interface PredictOptions {
  source: string;
  /** The name the client uses; default the registry's login server. */
  host?: string;
  /** appId or object id of the identity that logs in; undefined: not modelled (login and token skipped). */
  principal?: string;
  push?: boolean;
}

export function modelledDns(model: ReachabilityModel, source: string, name: string): DnsSeen {
  const r = resolve({ snapshot: model.snapshot, view: viewOf(model.snapshot, source) }, name.toLowerCase(), QTYPE.A);
  if (r.kind === "outside") return { kind: "failed", message: `${name} is in no zone the registry's DNS serves` };
  const chain = r.answers.map((a) => `${a.name} ${a.type} ${String((a as { data?: unknown }).data)}`);
  if (r.rcode === "NXDOMAIN") return { kind: "nxdomain", chain };
  if (r.rcode !== "NOERROR") return { kind: "failed", message: r.rcode };
  const ips = r.answers.filter((a) => a.type === "A").map((a) => String((a as { data?: unknown }).data));
  return ips.length ? { kind: "address", ips, chain } : { kind: "nodata", chain };
}

function deniedBody(source: string): HttpSeen {
  return { status: 403, code: "DENIED", message: `client with IP '${source}' is not allowed access. Refer https://aka.ms/acr/firewall to grant access.` };
}

export function predict(model: ReachabilityModel, reg: RegistryInfo, o: PredictOptions): Observation {
  const host = (o.host ?? reg.host).toLowerCase();
  const obs: Observation = { source: o.source, host, port: reg.port, dns: modelledDns(model, o.source, host) };
  if (reg.dataHost) {
    obs.dataHost = reg.dataHost;
    obs.dataDns = modelledDns(model, o.source, reg.dataHost);
  }
  const ip = obs.dns.kind === "address" ? obs.dns.ips[0]! : undefined;
  if (ip === undefined) return obs;
  const isPublic = ip === PUBLIC_ENDPOINT;
  const listener = isPublic ? undefined : model.endpointAtIp(ip)?.member.listener;
  if (!isPublic && (!model.endpointAtIp(ip) || listener?.state === "Failed")) {
    // An IP Cove could not bind (its listenerStatus) answers nothing, whatever the decision would be.
    obs.transport = { kind: "refused", detail: `nothing listens at ${ip}:${reg.port}${listener?.error ? ` (${listener.error})` : ""}` };
    return obs;
  }
  const decision = decide(model.snapshot, { kind: isPublic ? "public" : "private", address: isPublic ? model.snapshot.publicAddress : ip }, o.source, reg.key);
  if (!decision.allow && decision.effect === "drop") {
    obs.transport = { kind: "dropped", detail: decision.rule };
    return obs;
  }
  const certified = host === reg.host || host === reg.dataHost;
  const transport: TransportSeen = certified ? { kind: "ok" } : { kind: "name-mismatch", detail: `the certificate covers ${reg.host}, not ${host}` };
  obs.transport = transport;
  if (transport.kind !== "ok") return obs;
  if (!decision.allow) {
    obs.challenge = deniedBody(o.source);
    return obs;
  }
  obs.challenge = { status: 401, code: "UNAUTHORIZED" };
  if (o.principal === undefined) return obs;
  // An empty directory is one the caller could not read (Azure without Graph rights): not evidence of absence.
  const known = model.principals.length === 0 || model.principal(o.principal) !== undefined;
  obs.login = known ? { status: 200 } : { status: 401, code: "UNAUTHORIZED", message: `no principal ${o.principal}` };
  if (!known) return obs;
  const granted = model.grants(reg.id, o.principal);
  const wanted = o.push ? ["pull", "push"] : ["pull"];
  obs.token = { status: 200, actions: wanted.filter((a) => granted.has(a as never)) };
  if (obs.token.actions.length < wanted.length) return obs;
  obs.content = { status: 200 };
  return obs;
}
