// The page's only door to Cove: the public management API, as the CLI uses it. The ARM access token
// lives in this module's variable and nowhere else (no localStorage, sessionStorage or cookie), so a
// reload signs out and no other site's request can carry it: the API takes no cookie, which is the
// CSRF protection. Errors come back as thrown Errors carrying ARM's code and message, so a view can
// show "<code>: <message>" in an alert without knowing the wire shape.

/** api-versions the page sends, one per provider (contract.md; src/control-plane/arm/api-versions.ts). */
export const API = {
  acr: "2023-07-01",
  network: "2023-09-01",
  dns: "2020-06-01",
  authorization: "2022-04-01",
  policy: "2021-06-01",
  insights: "2019-10-01",
};

let session = null;

/** The signed-in session ({accessToken, expiresOn, principal, tenantId, subscriptionId}) or null. */
export const currentSession = () => session;

export function signOut() {
  session = null;
}

export class ApiError extends Error {
  /** @param {number} status @param {string} code @param {string} message */
  constructor(status, code, message) {
    super(`${code}: ${message}`);
    this.status = status;
    this.code = code;
    this.detail = message;
  }
}

/** ARM's {error:{code,message}}, OCI's {errors:[...]}, or whatever text came: one ApiError. */
async function errorOf(res) {
  const text = await res.text().catch(() => "");
  let code = `HTTP${res.status}`;
  let message = text.slice(0, 300) || res.statusText;
  try {
    const j = JSON.parse(text);
    const e = j.error ?? j.errors?.[0];
    if (e?.code) code = e.code;
    if (e?.message) message = e.message;
  } catch { /* not JSON: keep the text */ }
  return new ApiError(res.status, code, message);
}

/**
 * Signs in with a one-time code ({code}) or a service principal ({clientId, clientSecret}). The
 * browser sends Origin with the POST itself; the server checks it.
 */
export async function signIn(body) {
  const res = await fetch("/cove/portal/session", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    credentials: "omit",
  });
  if (!res.ok) throw await errorOf(res);
  session = await res.json();
  return session;
}

function urlOf(path, query) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, String(v));
  return url;
}

/**
 * One call with the bearer. `as`: "json" (default), "text" or "response" (the caller reads the body:
 * the evidence download). A 204 or empty body answers null.
 */
export async function call(method, path, { query, body, accept, as = "json" } = {}) {
  if (!session) throw new ApiError(401, "NotSignedIn", "Sign in first.");
  const headers = { authorization: `Bearer ${session.accessToken}` };
  if (accept) headers.accept = accept;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(urlOf(path, query), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "omit",
  });
  if (!res.ok) throw await errorOf(res);
  if (as === "response") return res;
  const text = await res.text();
  if (as === "text") return text;
  return text ? JSON.parse(text) : null;
}

export const get = (path, query, opts) => call("GET", path, { ...opts, query });

/** Every item of an ARM list, following nextLink (ARM pages large lists). */
export async function list(path, apiVersion, query = {}) {
  const out = [];
  let page = await get(path, { "api-version": apiVersion, ...query });
  out.push(...(page?.value ?? []));
  for (let n = 0; page?.nextLink && n < 100; n++) {
    const next = new URL(page.nextLink, location.origin);
    page = await get(next.pathname + next.search);
    out.push(...(page?.value ?? []));
  }
  return out;
}

/** The subscription the session acts in: `/subscriptions/<id>`. */
export const subscriptionScope = () => `/subscriptions/${session?.subscriptionId ?? ""}`;
