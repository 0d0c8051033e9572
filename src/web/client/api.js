// The page's one door to Cove: the public management API, as the CLI uses it. The ARM token lives in
// this module's variable only (no localStorage, sessionStorage or cookie): a reload signs out, and
// as the API takes no cookie, another site's request carries no credential (the CSRF defence).
// Failures are thrown as ApiError "<code>: <message>", ready for an alert.

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

/**
 * The items of a paged answer and of the pages after it (`link` names the next page's member:
 * ARM's nextLink, Policy Insights' @odata.nextLink), at most `max` pages; `keep` trims as it goes.
 */
export async function follow(page, { method = "GET", link = "nextLink", max = 100, keep = (x) => x } = {}) {
  let out = keep(page?.value ?? []);
  for (let n = 1; page?.[link] && n < max; n++) {
    const next = new URL(page[link], location.origin);
    page = await call(method, next.pathname + next.search);
    out = keep(out.concat(page?.value ?? []));
  }
  return out;
}

/** Every item of an ARM list. */
export const list = async (path, apiVersion) => follow(await get(path, { "api-version": apiVersion }));

/** The subscription the session acts in: `/subscriptions/<id>`. */
export const subscriptionScope = () => `/subscriptions/${session?.subscriptionId ?? ""}`;
