// Signing in to the networking page, both ways, in Debian's Chromium against a real Cove: a one-time
// code (POST /cove/portal/codes, and `cove portal` itself, the real binary) that works once and for
// 60 s, and a service principal's client id and secret typed into the form. The token lives in the
// page's memory only: no cookie, no web storage, and a reload signs out.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { realCli, type RealCli } from "../cli/real-cli.js";
import { createServicePrincipal, assignRole, ROLE } from "../support/arm.js";
import { BOOTSTRAP_DISPLAY_NAME } from "../../src/identity/bootstrap.js";
import { launchBrowser, assertAccessible, screenshot, type TestBrowser } from "./browser.js";
import { portalCode, fillSignIn, type PortalCode } from "./portal.js";

let cli: RealCli;
let b: TestBrowser;
// Made first, redeemed last: the other tests run while it ages past its 60 s.
let stale: PortalCode;
let staleMadeAt: number;
// A refused sign-in is a 401 answer, which Chromium logs as a failed resource load.
const REFUSED = [/status of 401/];

before(async () => {
  cli = await realCli();
  stale = await portalCode(cli.cove);
  staleMadeAt = Date.now();
  b = await launchBrowser();
});
after(async () => {
  await b?.close();
  await cli?.close();
});

test("a one-time code's url signs the browser in, removes the code from the address bar, and works only once", async () => {
  const code = await portalCode(cli.cove);
  assert.equal(code.expiresInSeconds, 60);
  assert.equal(code.url, `${cli.cove.managementUrl}/#code=${code.code}`);

  const first = await b.open();
  await first.page.goto(code.url);
  const header = first.page.getByRole("banner");
  await header.getByText(`Signed in as ${BOOTSTRAP_DISPLAY_NAME}`).waitFor({ timeout: 10_000 });
  await header.getByRole("button", { name: "Sign out" }).waitFor();
  await first.page.getByRole("navigation").getByRole("link", { name: "Registries" }).waitFor();
  assert.doesNotMatch(first.page.url(), /code=/, "the code is gone from the address bar (history.replaceState)");
  first.assertClean();

  const again = await b.open();
  await again.page.goto(code.url);
  const alert = again.page.getByRole("alert");
  await alert.waitFor({ timeout: 10_000 });
  assert.match(await alert.innerText(), /expired|already used/i);
  await again.page.getByRole("heading", { level: 1, name: "Sign in to Cove" }).waitFor();
  assert.equal(await again.page.getByText(/Signed in as/).count(), 0);
  again.assertClean(REFUSED);
  await first.close();
  await again.close();
});

test("the client id and secret form: a wrong secret shows the server's alert, the right one signs in, the token stays in memory", async () => {
  const sp = await createServicePrincipal(cli.cove, "web-operator");
  await assignRole(cli.cove, `/subscriptions/${cli.cove.credentials.subscriptionId}`, sp.objectId, ROLE.Reader);
  const w = await b.open();
  await fillSignIn(w.page, cli.cove, sp.appId, `${sp.password}-wrong`);
  const alert = w.page.getByRole("alert");
  await alert.waitFor({ timeout: 10_000 });
  assert.match(await alert.innerText(), /client ID or the client secret is wrong/);
  assert.equal(await w.page.getByLabel("Client secret").getAttribute("type"), "password");
  await screenshot(w.page, "sign-in");
  await assertAccessible(w, "sign-in (with its alert)");

  await w.page.getByLabel("Client secret").fill(sp.password);
  await w.page.getByRole("button", { name: "Sign in" }).click();
  await w.page.getByRole("banner").getByText("Signed in as web-operator").waitFor({ timeout: 10_000 });
  await w.page.getByRole("heading", { level: 1, name: "Registries" }).waitFor();

  const kept = await w.page.evaluate(() => ({ local: localStorage.length, session: sessionStorage.length, cookie: document.cookie }));
  assert.deepEqual(kept, { local: 0, session: 0, cookie: "" }, "nothing of the sign-in in web storage or cookies");
  assert.deepEqual(await w.context.cookies(), []);
  await w.page.reload();
  await w.page.getByRole("heading", { level: 1, name: "Sign in to Cove" }).waitFor({ timeout: 10_000 });

  await fillSignIn(w.page, cli.cove, sp.appId, sp.password);
  await w.page.getByRole("banner").getByText("Signed in as web-operator").waitFor({ timeout: 10_000 });
  await w.page.getByRole("button", { name: "Sign out" }).click();
  await w.page.getByRole("heading", { level: 1, name: "Sign in to Cove" }).waitFor({ timeout: 10_000 });
  assert.equal(await w.page.getByText(/Signed in as/).count(), 0);
  w.assertClean(REFUSED);
  await w.close();
});

test("`cove portal` (the real binary, no display) prints a url that signs the browser in as the CLI's principal", async () => {
  const r = await cli.run("portal");
  assert.equal(r.code, 0, r.stderr);
  const url = /https:\/\/\S+#code=[A-Za-z0-9_-]+/.exec(r.stdout)?.[0];
  assert.ok(url?.startsWith(`${cli.cove.managementUrl}/#code=`), r.stdout);
  assert.match(r.stderr, /within 60 seconds/);
  const w = await b.open();
  await w.page.goto(url!);
  await w.page.getByRole("banner").getByText(`Signed in as ${BOOTSTRAP_DISPLAY_NAME}`).waitFor({ timeout: 10_000 });
  w.assertClean();
  await w.close();
});

test("a code older than 60 s is refused", async () => {
  // Cove's clock is the real one (it offers no test clock), so this code is simply left to age.
  const wait = staleMadeAt + 61_000 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const w = await b.open();
  await w.page.goto(stale.url);
  const alert = w.page.getByRole("alert");
  await alert.waitFor({ timeout: 10_000 });
  assert.match(await alert.innerText(), /expired/i);
  await w.page.getByRole("heading", { level: 1, name: "Sign in to Cove" }).waitFor();
  assert.equal(await w.page.getByText(/Signed in as/).count(), 0);
  w.assertClean(REFUSED);
  await w.close();
});
