// The live check (DESIGN.md 6a): real sockets from the client's own address, step by step, filling
// the same Observation the model predicts (predict.ts), so diagnose.ts gives one verdict for either.
// Each step is timed and bounded; the first failed step stops the walk and the later ones are
// reported "skipped". The step names are a contract: preflight prints them and --json carries them.
import type { Socket } from "node:net";
import type { Observation } from "../../../network-policy/reachability/observation.js";
import { resolveA, type DnsServer } from "./dns.js";
import { connectTcp, handshake, type Target } from "./http.js";
import { accessToken, call, login, parseChallenge, type BearerChallenge, type Login } from "./registry.js";
import { pull, push, remove, TEST_TAG, type ContentContext, type ContentResult } from "./content.js";

export type StepName = "resolve" | "resolve-data" | "connect" | "tls" | "challenge" | "login" | "token" | "pull" | "push" | "delete";

export const STEP_TITLES: Record<StepName, string> = {
  resolve: "Resolve the login server",
  "resolve-data": "Resolve the data endpoint",
  connect: "TCP connect",
  tls: "TLS handshake (name check)",
  challenge: "GET /v2/ challenge",
  login: "Registry login",
  token: "Access token",
  pull: "Pull the test artifact",
  push: "Push the test artifact",
  delete: "Delete the test artifact",
};

export interface LiveOptions {
  /** The name the client uses, e.g. "myreg.cove.test" (no port). */
  host: string;
  /** From the login server "myreg.cove.test:8444"; 443 when none. */
  port: number;
  /** "<reg>.<location>.data.<suffix>" when the registry has data endpoints. */
  dataHost?: string;
  /** Bound for DNS and TCP; undefined: the OS chooses, and the result says which address it chose. */
  source?: string;
  dnsServer: DnsServer;
  /** PEM trusted for the registry's TLS (the profile's caCertPath); undefined: the system's roots. */
  ca?: string | Buffer;
  login: Login;
  /** Default "cove-preflight". */
  repository?: string;
  push: boolean;
  /** Per step, default 3000. */
  timeoutMs?: number;
  /** Stop after this step (check-health stops at `token`); the later steps are not listed. */
  stopAfter?: StepName;
  /** Called as each step ends (skipped ones included), for a live display. */
  onStep?: (step: StepResult) => void;
}

export interface StepResult {
  name: StepName;
  title: string;
  result: "ok" | "failed" | "skipped";
  ms: number;
  detail: string;
}

export interface LiveResult {
  observation: Observation;
  steps: StepResult[];
  /** The address the client's traffic left from. */
  source: string;
  /** The parsed WWW-Authenticate of the /v2/ answer, when there was one. */
  challenge?: BearerChallenge;
}

type Outcome = { result: "ok" | "failed" | "skipped"; detail: string };

export const DEFAULT_REPOSITORY = "cove-preflight";

export async function observeLive(o: LiveOptions): Promise<LiveResult> {
  const timeoutMs = o.timeoutMs ?? 3000;
  const repository = o.repository ?? DEFAULT_REPOSITORY;
  const host = o.host.toLowerCase();
  const obs: Observation = { source: o.source ?? "", host, port: o.port, dns: { kind: "failed", message: "not asked" } };
  const out: LiveResult = { observation: obs, steps: [], source: o.source ?? "" };
  const names: StepName[] = ["resolve", ...(o.dataHost ? ["resolve-data" as const] : []), "connect", "tls", "challenge", "login", "token", "pull", ...(o.push ? ["push" as const, "delete" as const] : [])];
  const last = o.stopAfter ? names.indexOf(o.stopAfter) : -1;
  const plan = last >= 0 ? names.slice(0, last + 1) : names;

  let target: Target | undefined;
  let tcp: Socket | undefined;
  let service = "";
  let refreshToken: string | undefined;
  let token: string | undefined;
  let actions: string[] = [];
  const setSource = (s: string) => { if (s) { out.source = s; obs.source = s; } };
  const content = (signal: AbortSignal): ContentContext => ({
    target: target!, accessToken: token ?? "", repository, signal,
    async resolve(name) {
      if (name === o.dataHost && obs.dataDns?.kind === "address") return { ip: obs.dataDns.ips[0], detail: "" };
      const r = await resolveA(o.dnsServer, name, out.source || undefined, timeoutMs);
      return r.seen.kind === "address" ? { ip: r.seen.ips[0], detail: "" } : { detail: r.seen.kind === "failed" ? r.seen.message : r.seen.kind.toUpperCase() };
    },
  });
  const fromContent = (r: ContentResult): Outcome => {
    obs.content = r.seen;
    if (r.transport) obs.transport = r.transport;
    return { result: r.ok ? "ok" : "failed", detail: r.detail };
  };

  const steps: Record<StepName, (signal: AbortSignal) => Promise<Outcome>> = {
    async resolve() {
      const r = await resolveA(o.dnsServer, host, o.source, timeoutMs);
      setSource(r.source);
      obs.dns = r.seen;
      return r.seen.kind === "address"
        ? { result: "ok", detail: r.seen.chain.join(" -> ") }
        : { result: "failed", detail: `${host}: ${r.seen.kind === "failed" ? `no answer (${r.seen.message})` : r.seen.kind.toUpperCase()}${r.seen.kind !== "failed" && r.seen.chain.length ? ` after ${r.seen.chain.join(" -> ")}` : ""}` };
    },
    async "resolve-data"() {
      const r = await resolveA(o.dnsServer, o.dataHost!.toLowerCase(), out.source || undefined, timeoutMs);
      obs.dataHost = o.dataHost!.toLowerCase();
      obs.dataDns = r.seen;
      return r.seen.kind === "address"
        ? { result: "ok", detail: r.seen.chain.join(" -> ") }
        : { result: "failed", detail: `${obs.dataHost}: ${r.seen.kind === "failed" ? `no answer (${r.seen.message})` : r.seen.kind.toUpperCase()}` };
    },
    async connect(signal) {
      const ip = obs.dns.kind === "address" ? obs.dns.ips[0]! : "";
      target = { ip, port: o.port, host, source: out.source || undefined, ca: o.ca };
      const c = await connectTcp(target, signal);
      if (!c.ok) {
        obs.transport = c.seen;
        return { result: "failed", detail: c.seen.detail };
      }
      tcp = c.socket;
      // Later connections leave from the address this one did, whatever the OS would pick next.
      setSource(c.local);
      target.source = out.source;
      return { result: "ok", detail: `${out.source} -> ${ip}:${o.port}` };
    },
    async tls(signal) {
      const seen = await handshake(target!, tcp!, signal);
      tcp = undefined;
      obs.transport = seen;
      return seen.kind === "ok" ? { result: "ok", detail: `certificate valid for ${host}` } : { result: "failed", detail: `${seen.kind}: ${seen.detail}` };
    },
    async challenge(signal) {
      const r = await call(target!, "GET", "/v2/", signal);
      if (!r.ok) {
        obs.transport = r.transport.seen;
        return { result: "failed", detail: r.transport.seen.detail };
      }
      obs.challenge = r.seen;
      const header = r.response.headers["www-authenticate"];
      const ch = parseChallenge(Array.isArray(header) ? header[0] : header);
      out.challenge = ch;
      if (r.seen.status === 401 && ch?.scheme.toLowerCase() === "bearer" && ch.realm && ch.service) {
        service = ch.service;
        return { result: "ok", detail: `401 Bearer realm="${ch.realm}",service="${ch.service}"` };
      }
      return { result: "failed", detail: `${r.seen.status}${r.seen.code ? " " + r.seen.code : ""}${r.seen.message ? ": " + r.seen.message : ""}${r.seen.status === 401 ? ` (WWW-Authenticate: ${ch ? ch.scheme : "none"})` : ""}` };
    },
    async login(signal) {
      const r = await login(target!, o.login, service, signal);
      if (r.transport) obs.transport = r.transport.seen;
      else obs.login = r.seen;
      refreshToken = r.refreshToken;
      const ok = !r.transport && r.seen.status === 200 && (o.login.kind === "basic" || refreshToken !== undefined);
      return { result: ok ? "ok" : "failed", detail: r.detail };
    },
    async token(signal) {
      const r = await accessToken(target!, o.login, service, refreshToken, repository, o.push ? "pull,push,delete" : "pull", signal);
      if (r.transport) obs.transport = r.transport.seen;
      else obs.token = r.seen;
      token = r.accessToken;
      actions = r.seen.actions;
      const wanted = o.push ? ["pull", "push"] : ["pull"];
      const missing = wanted.filter((a) => !actions.includes(a));
      if (r.transport || r.seen.status !== 200) return { result: "failed", detail: r.detail };
      return missing.length ? { result: "failed", detail: `${r.detail}: ${missing.join(" and ")} missing (${o.push ? "AcrPush" : "AcrPull"} needed)` } : { result: "ok", detail: r.detail };
    },
    pull: async (signal) => fromContent(await pull(content(signal))),
    push: async (signal) => fromContent(await push(content(signal))),
    async delete(signal) {
      if (!actions.includes("delete")) {
        return { result: "skipped", detail: `the identity holds no delete right (AcrDelete): ${repository}:${TEST_TAG} stays` };
      }
      return fromContent(await remove(content(signal)));
    },
  };

  const record = (step: StepResult) => { out.steps.push(step); o.onStep?.(step); };
  let stopped = false;
  for (const name of plan) {
    if (stopped) {
      record({ name, title: STEP_TITLES[name], result: "skipped", ms: 0, detail: "an earlier step failed" });
      continue;
    }
    const started = performance.now();
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), timeoutMs);
    // The step's sockets end at the abort and say how; the race, a moment later, bounds what
    // cannot be aborted (DNS retries, a credential that ignores the signal).
    let backstop: NodeJS.Timeout | undefined;
    const expired = new Promise<Outcome>((ok) => { backstop = setTimeout(() => ok({ result: "failed", detail: "no answer" }), timeoutMs + 250); });
    let r: Outcome;
    try {
      r = await Promise.race([steps[name](ctl.signal), expired]);
    } catch (e) {
      r = { result: "failed", detail: (e as Error).message };
    } finally {
      clearTimeout(timer);
      clearTimeout(backstop);
    }
    if (ctl.signal.aborted && r.result === "failed") r.detail = `${r.detail} (step timed out after ${timeoutMs} ms)`;
    record({ name, title: STEP_TITLES[name], result: r.result, ms: Math.round(performance.now() - started), detail: r.detail });
    if (r.result === "failed") stopped = true;
  }
  tcp?.destroy();
  return out;
}
