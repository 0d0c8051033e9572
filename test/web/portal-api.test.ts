// The page's own endpoints over HTTPS, without a browser: hostile and malformed sign-ins get their
// catalogued answers, wrong secrets count against the failed-login limits and are audited, codes and
// the change poll need a bearer token, and the poll moves when the store or the audit log does.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startCove, type TestCove } from "../support/cove.js";
import { managementToken, createRegistry } from "../support/arm.js";
import { https } from "../support/http.js";

let cove: TestCove;
let token: string;

before(async () => {
  cove = await startCove({ loginFailureLimit: "3", loginFailureWindowSeconds: "3" });
  token = await managementToken(cove);
});
after(() => cove?.stop());

const session = (body: unknown, headers: Record<string, string> = {}) =>
  https(`${cove.managementUrl}/cove/portal/session`, {
    method: "POST", ca: cove.ca,
    headers: { origin: cove.managementUrl, "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
const code = (r: { body: Buffer | string }) => JSON.parse(String(r.body)).error?.code;

test("malformed sign-in bodies are 400 InvalidSignInRequest, never 500", async () => {
  for (const body of ["not json", "[]", "null", '"x"', "{}", JSON.stringify({ clientId: "a" }), JSON.stringify({ code: 7 }), JSON.stringify({ clientSecret: "x".repeat(10) }), "x".repeat(9000)]) {
    const r = await session(body);
    assert.equal(r.status, 400, `${body.slice(0, 40)}: ${r.status} ${r.body}`);
    assert.equal(code(r), "InvalidSignInRequest");
  }
  const get = await https(`${cove.managementUrl}/cove/portal/session`, { method: "GET", ca: cove.ca });
  assert.equal(get.status, 405);
});

test("wrong secrets at the page's sign-in are throttled like the token endpoint's and audited as login-failed (endpoint portal)", async () => {
  const appId = "11111111-2222-3333-4444-555555555555";
  const answers: number[] = [];
  for (let i = 0; i < 5; i++) answers.push((await session({ clientId: appId, clientSecret: "wrong" })).status);
  assert.deepEqual(answers, [401, 401, 401, 429, 429]);
  const throttled = await session({ clientId: appId, clientSecret: "wrong" });
  assert.equal(code(throttled), "SignInThrottled");
  assert.match(String(throttled.headers["retry-after"]), /^\d+$/);
  // The throttle writes its exact counts when its window (3 s here) ends.
  let seen: { count: number; throttled: number } | undefined;
  for (let i = 0; i < 50 && !seen; i++) {
    await new Promise((ok) => setTimeout(ok, 200));
    const r = await https(`${cove.managementUrl}/cove/audit?kind=login-failed&limit=100`, { method: "GET", ca: cove.ca, headers: { authorization: `Bearer ${token}` } });
    const rows = (JSON.parse(String(r.body)).value as { event: Record<string, unknown> }[]).map((x) => x.event);
    const mine = rows.filter((e) => e.endpoint === "portal" && e.username === appId);
    if (mine.length) seen = { count: mine.reduce((n, e) => n + Number(e.count), 0), throttled: mine.reduce((n, e) => n + Number(e.throttled), 0) };
  }
  assert.ok(seen, "the failed sign-ins are audited as login-failed, endpoint portal");
  assert.equal(seen.count, 6, "every attempt counted, exactly");
  assert.equal(seen.throttled, 3, "the three refused without a check are counted as throttled");
  const good = await session({ clientId: cove.credentials.clientId, clientSecret: cove.credentials.clientSecret });
  assert.equal(good.status, 200, "another client id is not locked out");
  const body = JSON.parse(String(good.body));
  assert.equal(body.principal.appId, cove.credentials.clientId);
  assert.equal(body.subscriptionId, cove.credentials.subscriptionId);
  assert.ok(!String(good.body).includes(cove.credentials.clientSecret), "the secret is never echoed");
  assert.equal(good.headers["set-cookie"], undefined, "no cookie: the token is the page's to hold");
  // The page's token is an ordinary management token.
  const list = await https(`${cove.managementUrl}/subscriptions/${cove.credentials.subscriptionId}/resourcegroups?api-version=2021-04-01`, { method: "GET", ca: cove.ca, headers: { authorization: `Bearer ${body.accessToken}` } });
  assert.equal(list.status, 200);
});

test("codes and the change poll need a bearer token; the poll moves with the store and the audit log", async () => {
  for (const [method, path] of [["POST", "codes"], ["GET", "version"]] as const) {
    const r = await https(`${cove.managementUrl}/cove/portal/${path}`, { method, ca: cove.ca });
    assert.equal(r.status, 401, path);
    const bad = await https(`${cove.managementUrl}/cove/portal/${path}`, { method, ca: cove.ca, headers: { authorization: "Bearer junk" } });
    assert.equal(bad.status, 401, path);
  }
  const poll = async () => JSON.parse(String((await https(`${cove.managementUrl}/cove/portal/version`, { method: "GET", ca: cove.ca, headers: { authorization: `Bearer ${token}` } })).body));
  const v1 = await poll();
  assert.equal(typeof v1.version, "number");
  assert.equal(typeof v1.auditSeq, "number");
  await createRegistry(cove, "rg-portal-api", "portalapi1");
  const v2 = await poll();
  assert.ok(v2.version > v1.version, `store version moved: ${v1.version} -> ${v2.version}`);
  assert.ok(v2.auditSeq > v1.auditSeq, `audit seq moved: ${v1.auditSeq} -> ${v2.auditSeq}`);
});

test("a code is made only for its caller and is refused once used", async () => {
  const made = await https(`${cove.managementUrl}/cove/portal/codes`, { method: "POST", ca: cove.ca, headers: { authorization: `Bearer ${token}` } });
  assert.equal(made.status, 201);
  const { code: c, url, expiresInSeconds } = JSON.parse(String(made.body));
  assert.equal(expiresInSeconds, 60);
  assert.equal(url, `${cove.managementUrl}/#code=${c}`);
  const first = await session({ code: c });
  assert.equal(first.status, 200);
  assert.equal(JSON.parse(String(first.body)).principal.appId, cove.credentials.clientId);
  const again = await session({ code: c });
  assert.equal(again.status, 401);
  assert.equal(code(again), "SignInFailed");
});
