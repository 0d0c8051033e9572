// The registry's side of a live check, request by request, as the clients do it
// (acr-networking.md 5.1): the /v2/ challenge, the login (an AAD token exchanged at
// /oauth2/exchange, as az and @azure/container-registry do, or Basic credentials at the Docker
// token endpoint), the access token for the test repository and the actions it grants.
import type { TokenCredential } from "@azure/identity";
import type { HttpSeen } from "../../../network-policy/reachability/observation.js";
import { json, seenOf, send, type Outcome, type Target } from "./http.js";

/**
 * The audience of the AAD token presented at /oauth2/exchange. Cove (as ACR) accepts the container
 * registry audience always, and ARM's only while the registry's azureADAuthenticationAsArmPolicy
 * is enabled (docs/identity.md), so this one works whatever that policy says.
 */
export const REGISTRY_AUDIENCE = "https://containerregistry.azure.net";

export type Login =
  | { kind: "aad"; credential: TokenCredential; tenantId: string }
  | { kind: "basic"; username: string; password: string };

export interface BearerChallenge {
  scheme: string;
  realm?: string;
  service?: string;
}

/** A request's result as the observation holds it, or the transport failure. */
export type Answer =
  | { ok: true; seen: HttpSeen; body: Buffer; response: Outcome & { kind: "response" } }
  | { ok: false; transport: Outcome & { kind: "transport" } };

export async function call(t: Target, method: string, path: string, signal: AbortSignal, headers: Record<string, string> = {}, body?: Buffer | string): Promise<Answer> {
  const o = await send(t, { method, path, headers, body, signal });
  if (o.kind === "transport") return { ok: false, transport: o };
  return { ok: true, seen: seenOf(o.status, o.body), body: o.body, response: o };
}

/** WWW-Authenticate: `Bearer realm="...",service="...",scope="..."` (values may be quoted). */
export function parseChallenge(header: string | undefined): BearerChallenge | undefined {
  if (!header) return undefined;
  const m = /^\s*(\S+)\s*(.*)$/.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of m[2]!.matchAll(/([A-Za-z_]+)\s*=\s*(?:"([^"]*)"|([^,\s]*))/g)) params[p[1]!.toLowerCase()] = p[2] ?? p[3] ?? "";
  return { scheme: m[1]!, realm: params.realm, service: params.service };
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = { "content-type": "application/x-www-form-urlencoded" };

function basic(username: string, password: string): string {
  return "Basic " + Buffer.from(`${username}:${password}`).toString("base64");
}

export interface LoginResult {
  seen: HttpSeen;
  transport?: Outcome & { kind: "transport" };
  /** The refresh token (AAD) to redeem at /oauth2/token. */
  refreshToken?: string;
  detail: string;
}

/** The registry login: exchange an AAD token for a refresh token, or prove Basic credentials. */
export async function login(t: Target, l: Login, service: string, signal: AbortSignal): Promise<LoginResult> {
  if (l.kind === "basic") {
    const r = await call(t, "GET", `/oauth2/token?${form({ service })}`, signal, { authorization: basic(l.username, l.password) });
    if (!r.ok) return { seen: { status: 0 }, transport: r.transport, detail: r.transport.seen.detail };
    return { seen: r.seen, detail: `GET /oauth2/token with Basic credentials answered ${r.seen.status}${r.seen.code ? " " + r.seen.code : ""}` };
  }
  let aad: string;
  try {
    const token = await l.credential.getToken(`${REGISTRY_AUDIENCE}/.default`, { abortSignal: signal });
    if (!token) throw new Error("the identity provider returned no token");
    aad = token.token;
  } catch (e) {
    // The identity provider refused (or could not be reached): the registry never saw a login.
    const err = e as { statusCode?: number; errorResponse?: { error?: string; errorDescription?: string }; message?: string };
    const message = err.errorResponse?.errorDescription?.split("\n")[0] ?? String(err.message ?? e).split("\n")[0];
    return { seen: { status: err.statusCode ?? 401, code: err.errorResponse?.error ?? "invalid_client", message }, detail: `the identity provider issued no token: ${message}` };
  }
  const r = await call(t, "POST", "/oauth2/exchange", signal, FORM, form({ grant_type: "access_token", service, tenant: l.tenantId, access_token: aad }));
  if (!r.ok) return { seen: { status: 0 }, transport: r.transport, detail: r.transport.seen.detail };
  const refresh = json(r.body)?.refresh_token;
  const ok = r.seen.status === 200 && typeof refresh === "string";
  return { seen: r.seen, refreshToken: ok ? refresh : undefined, detail: `POST /oauth2/exchange answered ${r.seen.status}${r.seen.code ? " " + r.seen.code : ""}${r.seen.message ? ": " + r.seen.message : ""}` };
}

export interface TokenResult {
  seen: HttpSeen & { actions: string[] };
  transport?: Outcome & { kind: "transport" };
  accessToken?: string;
  detail: string;
}

/** The actions an access token's `access` claim grants on one repository (`*` is pull, push and delete). */
export function grantedActions(accessToken: string, repository: string): string[] {
  let claims: any;
  try { claims = JSON.parse(Buffer.from(accessToken.split(".")[1] ?? "", "base64url").toString("utf8")); } catch { return []; }
  const out = new Set<string>();
  for (const a of Array.isArray(claims?.access) ? claims.access : []) {
    if (a?.type !== "repository" || a?.name !== repository || !Array.isArray(a.actions)) continue;
    for (const x of a.actions) {
      if (x === "*") ["pull", "push", "delete"].forEach((y) => out.add(y));
      else out.add(String(x));
    }
  }
  return ["pull", "push", "delete"].filter((x) => out.has(x)).concat([...out].filter((x) => !["pull", "push", "delete"].includes(x)));
}

/** An access token for `repository:<repo>:<actions>`. */
export async function accessToken(t: Target, l: Login, service: string, refreshToken: string | undefined, repository: string, actions: string, signal: AbortSignal): Promise<TokenResult> {
  const scope = `repository:${repository}:${actions}`;
  const r = l.kind === "basic"
    ? await call(t, "GET", `/oauth2/token?${form({ service, scope })}`, signal, { authorization: basic(l.username, l.password) })
    : await call(t, "POST", "/oauth2/token", signal, FORM, form({ grant_type: "refresh_token", service, scope, refresh_token: refreshToken ?? "" }));
  if (!r.ok) return { seen: { status: 0, actions: [] }, transport: r.transport, detail: r.transport.seen.detail };
  const token = json(r.body)?.access_token;
  const granted = r.seen.status === 200 && typeof token === "string" ? grantedActions(token, repository) : [];
  return {
    seen: { ...r.seen, actions: granted },
    accessToken: typeof token === "string" ? token : undefined,
    detail: r.seen.status === 200 ? `asked ${scope}, granted ${granted.join(",") || "nothing"}` : `${l.kind === "basic" ? "GET" : "POST"} /oauth2/token answered ${r.seen.status}${r.seen.code ? " " + r.seen.code : ""}`,
  };
}
