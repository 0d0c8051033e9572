// `cove acr preflight`: the step a release template runs before a deployment. One inventory read
// through the SDK clients, one model; then the client's path is walked twice, with real sockets from
// its address (live/) and through the model (predict.ts), and both observations go through the one
// diagnose(). The live verdict is the result; the modelled one is reported beside it, and a
// disagreement is itself a finding (the model and the wire must never differ).
import type { TokenCredential } from "@azure/identity";
import { buildModel, type ReachabilityModel } from "../../network-policy/reachability/model.js";
import { predict } from "../../network-policy/reachability/predict.js";
import { diagnose, registryMissing, type Verdict } from "../../network-policy/reachability/diagnose.js";
import type { ArmInventory } from "../../network-policy/reachability/inventory.js";
import type { Observation } from "../../network-policy/reachability/observation.js";
import { dnsText } from "../../network-policy/reachability/report.js";
import { collectInventory } from "./collect.js";
import { PolicyChecker, type CheckedFix } from "./policy-blocks.js";
import { describeNetwork, dnsServerFor, resolveSource } from "./sources.js";
import { observeLive, type StepResult } from "./live/observe.js";
// session.ts itself (with the Azure SDKs it loads) is imported only once a session is made, so
// building the parser, --help and usage errors do not load them.
import type { Session } from "../session.js";
import { usageError } from "../errors.js";
import { readRecordHistory } from "./record-history.js";
import type { RecordHistory } from "../../network-policy/reachability/record-history.js";

export interface PreflightOptions {
  name: string;
  sourceAddress?: string;
  from?: string;
  loginServer?: string;
  push?: boolean;
  as?: string;
  secretEnv?: string;
  dnsServer?: string;
  repository?: string;
  modelled?: boolean;
  timeoutMs?: number;
}

export interface PreflightStep {
  name: string;
  result: "ok" | "failed" | "skipped";
  ms: number;
  detail: string;
}

export interface PreflightResult {
  ok: boolean;
  registry: string;
  loginServer: string;
  host: string;
  source: string;
  network: string;
  identity: string;
  mode: "live" | "modelled";
  steps: PreflightStep[];
  cause?: string;
  summary: string;
  evidence?: Record<string, string>;
  /** The commands that fix the cause; `blocked` names the Deny policy assignment that would refuse one. */
  fix?: CheckedFix[];
  /** Why Azure Policy could not be asked about the fix (absent when it was, or when the ARM has no such API). */
  policyCheck?: string;
  /** The model's verdict for the same client; `agree` is false when it differs from the live one. */
  modelled: { ok: boolean; cause?: string };
  agree: boolean;
  /** DNS_WRONG_ADDRESS: who wrote the record and when, newest first (record-history.ts). */
  recordHistory?: RecordHistory;
  /** Why the record's history could not be read (the audit log is not readable for the caller). */
  historyUnavailable?: string;
}

/** The record set a DNS_WRONG_ADDRESS verdict names (its evidence's zone and record). */
function wrongRecordSet(v: Verdict): string | undefined {
  if (v.cause !== "DNS_WRONG_ADDRESS" || !v.evidence.zone || !v.evidence.record) return undefined;
  return `${v.evidence.zone}/A/${v.evidence.record}`;
}

/** Adds the history of the overwritten record to a DNS_WRONG_ADDRESS result, or says why it is unavailable. */
async function withHistory(s: Session, inv: ArmInventory, model: ReachabilityModel, v: Verdict, r: PreflightResult): Promise<PreflightResult> {
  const id = wrongRecordSet(v);
  if (!id) return r;
  const a = await readRecordHistory(s, inv, model, id);
  if ("unavailable" in a) return { ...r, evidence: { ...r.evidence, history: `unavailable: ${a.unavailable}` }, historyUnavailable: a.unavailable };
  return { ...r, evidence: { ...r.evidence, history: a.history.summary }, recordHistory: a.history };
}

function modelledSteps(o: Observation): PreflightStep[] {
  const s = (name: string, ok: boolean | undefined, detail: string): PreflightStep => ({ name, result: ok === undefined ? "skipped" : ok ? "ok" : "failed", ms: 0, detail });
  const steps = [s("resolve", o.dns.kind === "address", `${o.host} -> ${dnsText(o.dns)}`)];
  if (o.dataHost) steps.push(s("resolve-data", o.dataDns?.kind === "address", `${o.dataHost} -> ${dnsText(o.dataDns)}`));
  steps.push(s("connect", o.transport ? o.transport.kind !== "dropped" && o.transport.kind !== "refused" : undefined, o.transport?.kind ?? ""));
  steps.push(s("tls", o.transport && o.transport.kind !== "dropped" && o.transport.kind !== "refused" ? o.transport.kind === "ok" : undefined, o.transport?.kind === "ok" ? "name verified" : ""));
  steps.push(s("challenge", o.challenge ? o.challenge.status === 401 : undefined, o.challenge ? String(o.challenge.status) : ""));
  steps.push(s("login", o.login ? o.login.status === 200 : undefined, o.login ? String(o.login.status) : ""));
  steps.push(s("token", o.token ? o.token.actions.length > 0 : undefined, o.token ? o.token.actions.join(",") : ""));
  steps.push(s("pull", o.content ? o.content.status < 300 : undefined, ""));
  return steps;
}

interface Identity {
  login: { kind: "aad"; credential: TokenCredential; tenantId: string };
  appId: string;
}

/** Who a `--default-credential` login is: the application (or object) id its management token names. */
async function tokenAppId(s: Session): Promise<string> {
  const claims = JSON.parse(Buffer.from((await s.token()).split(".")[1] ?? "", "base64url").toString("utf8") || "{}") as Record<string, unknown>;
  return String(claims.appid ?? claims.azp ?? claims.oid ?? "");
}

async function identityOf(s: Session, o: PreflightOptions, env: Record<string, string | undefined>): Promise<Identity> {
  if (o.secretEnv && !o.as) throw usageError("--secret-env needs --as APPID.");
  if (!o.as) return { login: { kind: "aad", credential: s.credential, tenantId: s.profile.tenantId }, appId: s.profile.clientId || await tokenAppId(s) };
  if (!o.secretEnv) throw usageError("--as needs --secret-env VAR: the name of the environment variable that holds the secret (never the secret itself).");
  const secret = env[o.secretEnv];
  if (!secret) throw usageError(`The environment variable ${o.secretEnv} (given with --secret-env) is not set.`);
  const { credentialFor } = await import("../session.js");
  return { login: { kind: "aad", credential: credentialFor(s.profile, o.as, secret), tenantId: s.profile.tenantId }, appId: o.as };
}

export async function runPreflight(s: Session, o: PreflightOptions, env: Record<string, string | undefined>, onStep?: (step: StepResult) => void): Promise<PreflightResult> {
  const identity = await identityOf(s, o, env);
  const inv: ArmInventory = await collectInventory(s);
  const model: ReachabilityModel = buildModel(inv);
  // The fix a verdict proposes, with what Azure Policy would say of each command (policy-blocks.ts).
  const checked = async (fix: Verdict["fix"]) => (fix.length ? new PolicyChecker(s, inv).check(fix) : { fix });
  const source = resolveSource(model, o);
  const reg = model.registry(o.name);
  const display = model.principal(identity.appId);
  const who = display?.displayName ? `${display.displayName} (${identity.appId})` : identity.appId;
  if (!reg) {
    const v = registryMissing(model, o.name, source.address ?? "this machine");
    const host = `${o.name.toLowerCase()}.${model.suffix}`;
    return { ok: false, registry: o.name, loginServer: host, host, source: source.address ?? "", network: describeNetwork(model, source.address), identity: who, mode: o.modelled ? "modelled" : "live", steps: [{ name: "registry", result: "failed", ms: 0, detail: v.summary }], cause: v.cause, summary: v.summary, evidence: v.evidence, ...await checked(v.fix), modelled: { ok: false, cause: v.cause }, agree: true };
  }
  const host = (o.loginServer ?? reg.host).replace(/:\d+$/, "").toLowerCase();
  const dopts = { push: o.push, identity: { appId: identity.appId, displayName: display?.displayName } };
  let address = source.address;
  let steps: PreflightStep[];
  let live: Verdict | undefined;
  if (!o.modelled) {
    const r = await observeLive({
      host, port: reg.port, dataHost: reg.dataHost, source: address, dnsServer: await dnsServerFor(o.dnsServer, s.profile.dnsServer),
      ca: s.profile.caCertPath ? await import("node:fs/promises").then((f) => f.readFile(s.profile.caCertPath!)) : undefined,
      login: identity.login, repository: o.repository ?? "cove-preflight", push: o.push === true, timeoutMs: o.timeoutMs, onStep,
    });
    address = r.source;
    steps = r.steps.map((x) => ({ name: x.name, result: x.result, ms: x.ms, detail: x.detail }));
    live = diagnose(model, reg, r.observation, dopts);
  }
  const modelledObs = predict(model, reg, { source: address ?? "", host, principal: identity.appId, push: o.push });
  const modelled = diagnose(model, reg, modelledObs, dopts);
  if (o.modelled) steps = modelledSteps(modelledObs);
  const v = live ?? modelled;
  return withHistory(s, inv, model, v, {
    ok: v.ok, registry: reg.name, loginServer: reg.loginServer, host, source: address ?? "", network: describeNetwork(model, address), identity: who,
    mode: live ? "live" : "modelled", steps: steps!, ...(v.ok ? {} : { cause: v.cause, evidence: v.evidence, ...await checked(v.fix) }), summary: v.summary,
    modelled: { ok: modelled.ok, ...(modelled.cause ? { cause: modelled.cause } : {}) }, agree: modelled.ok === v.ok && modelled.cause === v.cause,
  });
}
