// The page's security, tested from outside: its response headers (a CSP with no inline script,
// frame-ancestors 'none', nosniff), names and texts carrying HTML and script payloads (every field
// where Cove's API accepts them) rendered as text with nothing run, the sign-in POST refused from
// another origin, ARM writes refused without a bearer (a cookie is no credential), and unknown paths
// answered 404 with a catalogued code.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:https";
import { startCove, type TestCove } from "../support/cove.js";
import { createServicePrincipal, assignRole, ROLE, type ServicePrincipal } from "../support/arm.js";
import { https } from "../support/http.js";
import { ARM_ERRORS } from "../../src/control-plane/arm/errors.js";
import { WEB_ERRORS } from "../../src/web/errors.js";
import { landing, type Landing } from "../toolkit/landing.js";
import { launchBrowser, tableRows, until, type TestBrowser } from "./browser.js";
import { fillSignIn, goToHash, networkingHash } from "./portal.js";

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";
const IMG = "<img src=x onerror=window.__pwned=1>";
const SCRIPT = "<script>window.__pwned=1</script>";
// A subnet's name is a path segment, so it cannot hold the '/' of a closing tag.
const SVG = "<svg onload=window.__pwned=1>";

let cove: TestCove;
let z: Landing;
let b: TestBrowser;
let registryId: string;
let viewer: ServicePrincipal;

before(async () => {
  cove = await startCove();
  z = await landing(cove, "rg-xss");
  registryId = await z.registry("xssacr", "Premium", { tags: { note: IMG, owner: SCRIPT } });
  // Azure allows only letters, digits, '.', '_' and '-' in a VNet's name; Cove's API accepts these.
  await z.net.virtualNetworks.beginCreateOrUpdateAndWait(z.rg, IMG, {
    location: "westeurope", tags: { note: SCRIPT }, addressSpace: { addressPrefixes: ["127.40.0.0/16"] },
    subnets: [{ name: SVG, addressPrefix: "127.40.1.0/24" }],
  } as never);
  const vnetId = `/subscriptions/${z.sub}/resourceGroups/${z.rg}/providers/Microsoft.Network/virtualNetworks/${IMG}`;
  for (const [name, message] of [["xss-pe", SCRIPT], ["xss-pending-pe", IMG]] as const) {
    await z.net.privateEndpoints.beginCreateOrUpdateAndWait(z.rg, name, {
      location: "westeurope", subnet: { id: `${vnetId}/subnets/${SVG}` },
      manualPrivateLinkServiceConnections: [{ name: `${name}-conn`, privateLinkServiceId: registryId, groupIds: ["registry"], requestMessage: message }],
    } as never);
  }
  for await (const c of z.acr.privateEndpointConnections.list(z.rg, "xssacr")) {
    if (c.privateEndpoint!.id!.endsWith("/xss-pe")) {
      await z.acr.privateEndpointConnections.beginCreateOrUpdateAndWait(z.rg, "xssacr", c.name!, { privateLinkServiceConnectionState: { status: "Approved", description: SCRIPT } } as never);
    }
  }
  viewer = await createServicePrincipal(cove, IMG);
  await assignRole(cove, `/subscriptions/${z.sub}`, viewer.objectId, ROLE.Reader);
  b = await launchBrowser();
});
after(async () => {
  await b?.close();
  await cove?.stop();
});

test("/ and the page's files answer with the CSP (no 'unsafe-inline'), frame-ancestors 'none', nosniff, DENY, no-referrer", async () => {
  for (const path of ["/", "/web/app.js"]) {
    const r = await https(`${cove.managementUrl}${path}`, { ca: cove.ca });
    assert.equal(r.status, 200, path);
    assert.equal(r.headers["content-security-policy"], CSP, path);
    assert.doesNotMatch(String(r.headers["content-security-policy"]), /unsafe-inline|unsafe-eval/);
    assert.equal(r.headers["x-content-type-options"], "nosniff", path);
    assert.equal(r.headers["x-frame-options"], "DENY", path);
    assert.equal(r.headers["referrer-policy"], "no-referrer", path);
    assert.equal(r.headers["set-cookie"], undefined, `${path} sets no cookie`);
  }
  const html = (await https(`${cove.managementUrl}/`, { ca: cove.ca })).body.toString();
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, "no inline script in the page");
  assert.doesNotMatch(html, /\son\w+=|\sstyle=/i, "no inline handlers or styles");
});

test("another site cannot frame the page (frame-ancestors 'none')", async () => {
  const w = await b.open();
  await w.page.setContent(`<iframe title="framed" src="${cove.managementUrl}/"></iframe>`);
  await until("Chromium refusing the frame", () => w.errors.some((e) => /frame-ancestors/.test(e)));
  const framed = w.page.frames().find((f) => f !== w.page.mainFrame());
  assert.ok(framed);
  assert.equal(await framed.locator("#app").count(), 0, "the page did not load inside the frame");
  await w.close();
});

test("names, tags and descriptions holding HTML and script render as text and run nothing", async () => {
  const w = await b.open();
  const { page } = w;
  await fillSignIn(page, cove, viewer.appId, viewer.password);
  await page.getByRole("banner").getByText(`Signed in as ${IMG}`, { exact: true }).waitFor({ timeout: 10_000 });
  await page.getByRole("table", { name: "Registries" }).getByRole("link", { name: "xssacr" }).waitFor();
  await goToHash(page, networkingHash(registryId));
  await page.getByRole("heading", { level: 1, name: "xssacr: Networking" }).waitFor({ timeout: 10_000 });
  const table = page.getByRole("table", { name: "Private endpoint connections" });
  await table.getByRole("cell", { name: SCRIPT, exact: true }).waitFor({ timeout: 10_000 });
  const rows = await tableRows(table);
  assert.deepEqual(rows.map((r) => r.Description).sort(), [IMG, SCRIPT].sort(), "descriptions shown as the text they are");
  assert.ok(rows.every((r) => r["VNet / subnet"]!.includes(IMG) && r["VNet / subnet"]!.includes(SVG)), JSON.stringify(rows));
  await page.getByRole("figure", { name: "Topology" }).locator("svg").waitFor();
  await page.getByRole("table", { name: "Audit timeline" }).getByRole("row").nth(1).waitFor();
  // An image's onerror fires after its load fails: give a payload that got through the time to run.
  await new Promise((r) => setTimeout(r, 500));

  const dom = await page.evaluate(() => ({
    pwned: (window as any).__pwned,
    scripts: [...document.scripts].map((s) => s.getAttribute("src") ?? `inline: ${s.textContent}`),
    handlers: [...document.querySelectorAll("*")].flatMap((el) => [...el.attributes].filter((a) => /^on/i.test(a.name)).map((a) => `${el.tagName} ${a.name}`)),
    images: document.querySelectorAll("img[src='x'], img[src$='/x']").length,
  }));
  assert.deepEqual(dom, { pwned: undefined, scripts: ["/web/app.js"], handlers: [], images: 0 });
  // Markup that had slipped through would have been stopped by the CSP, and reported: nothing was.
  w.assertClean();
  await w.close();
});

test("the sign-in POST is refused from another origin, or as a form's content type: 403 CrossOriginRequest", async () => {
  const body = { clientId: cove.credentials.clientId, clientSecret: cove.credentials.clientSecret };
  const evil = await https(`${cove.managementUrl}/cove/portal/session`, { method: "POST", ca: cove.ca, headers: { origin: "https://evil.example" }, body });
  assert.equal(evil.status, 403);
  assert.equal(evil.json().error.code, "CrossOriginRequest");
  assert.equal(evil.json().accessToken, undefined);
  const own = new URL(cove.managementUrl).origin;
  const form = await https(`${cove.managementUrl}/cove/portal/session`, { method: "POST", ca: cove.ca, headers: { origin: own, "content-type": "text/plain" }, body: JSON.stringify(body) });
  assert.equal(form.status, 403);
  assert.equal(form.json().error.code, "CrossOriginRequest");
  const none = await https(`${cove.managementUrl}/cove/portal/session`, { method: "POST", ca: cove.ca, body });
  assert.equal(none.status, 403, "no Origin at all is not the page either");
  const ok = await https(`${cove.managementUrl}/cove/portal/session`, { method: "POST", ca: cove.ca, headers: { origin: own }, body });
  assert.equal(ok.status, 200, ok.body.toString());
  assert.equal(ok.headers["set-cookie"], undefined, "the token is in the body, never a cookie");
});

test("writes without a bearer token are 401, a cookie changes nothing", async () => {
  const conn = (await z.acr.privateEndpointConnections.list(z.rg, "xssacr").next()).value!.name!;
  const writes: [string, string, object?][] = [
    ["PATCH", `${registryId}?api-version=2023-07-01`, { properties: { publicNetworkAccess: "Disabled" } }],
    ["PUT", `${registryId}/privateEndpointConnections/${conn}?api-version=2023-07-01`, { properties: { privateLinkServiceConnectionState: { status: "Rejected", description: "forged" } } }],
    ["DELETE", `${registryId}/privateEndpointConnections/${conn}?api-version=2023-07-01`],
    ["POST", "/cove/portal/codes"],
    ["POST", "/cove/portal/evidence", { registryId }],
  ];
  for (const [method, path, body] of writes) {
    for (const headers of [{}, { cookie: "session=1; token=abc" }] as Record<string, string>[]) {
      const r = await https(`${cove.managementUrl}${path}`, { method, ca: cove.ca, headers, body });
      assert.equal(r.status, 401, `${method} ${path} ${JSON.stringify(headers)}: ${r.body}`);
      assert.equal(r.json().error.code, "AuthenticationFailed");
    }
  }
  const reg = await z.acr.registries.get(z.rg, "xssacr");
  assert.equal(reg.publicNetworkAccess, "Enabled", "nothing was written");
});

/** A GET whose path is sent exactly as given (no URL normalisation of '..'). */
function rawGet(path: string): Promise<{ status: number; body: string }> {
  const u = new URL(cove.managementUrl);
  return new Promise((ok, fail) => {
    const req = request({ host: u.hostname, port: u.port, path, method: "GET", ca: cove.ca, agent: false }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => ok({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", fail);
    req.end();
  });
}

test("unknown paths answer 404 with a catalogued code, never 500", async () => {
  const catalogued = new Set([...Object.keys(ARM_ERRORS), ...Object.keys(WEB_ERRORS)]);
  for (const path of ["/nope", "/web/nope.js", "/web/../package.json", "/web/%2e%2e/package.json", "/web/vendor/../../package.json",
    "/web/", "/web/index.html", "/web/app.js.map", "/index.htm", "/cove/portal", "/cove/portal/nope", "/%00", "/web/%ZZ"]) {
    const r = await rawGet(path);
    assert.equal(r.status, 404, `${path}: ${r.status} ${r.body}`);
    const code = JSON.parse(r.body).error?.code;
    assert.ok(catalogued.has(code), `${path}: ${code} is in a catalogue`);
    assert.doesNotMatch(r.body, /"name":"cove"|node_modules|at .*\.js:\d+/, `${path} leaks nothing`);
  }
});
