// The Registries view's policy compliance (the landing-zone policy issue): with Azure Policy's
// built-ins assigned through Microsoft's SDK, the case study's registry (public access Enabled) is
// Non-compliant on "public network access should be disabled", the reason is one click away, and
// a registry change that makes it compliant shows on the open page without a reload.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { startCove, type TestCove } from "../support/cove.js";
import { policyClients } from "../policy/support.js";
import { launchBrowser, assertAccessible, screenshot, tableRows, type TestBrowser, type WatchedPage } from "./browser.js";
import { openSignedIn } from "./portal.js";
import { seedCaseStudy, REGISTRY, type CaseStudy } from "./seed.js";

const DEF = (guid: string) => `/providers/Microsoft.Authorization/policyDefinitions/${guid}`;
const PUBLIC_ACCESS = "0fdf0491-d080-4575-b627-ad0e843cba0f";
const ADMIN_ACCOUNT = "dc921057-6b28-4fbe-9b83-f7bec05db6c2";

let cove: TestCove;
let cs: CaseStudy;
let b: TestBrowser;
let watched: WatchedPage;
let page: Page;

before(async () => {
  cove = await startCove();
  cs = await seedCaseStudy(cove);
  const { policy } = policyClients(cove);
  const scope = `/subscriptions/${cove.credentials.subscriptionId}/resourceGroups/${cs.rg}`;
  await policy.policyAssignments.create(scope, "no-public-access", { displayName: "Registries without public access", policyDefinitionId: DEF(PUBLIC_ACCESS), parameters: { effect: { value: "Audit" } } });
  await policy.policyAssignments.create(scope, "no-admin-user", { displayName: "Registries without the admin user", policyDefinitionId: DEF(ADMIN_ACCOUNT), parameters: { effect: { value: "Audit" } } });
  b = await launchBrowser();
  watched = await b.open();
  page = watched.page;
  await openSignedIn(page, cove);
});
after(async () => {
  await b?.close();
  await cove?.stop();
});

test("a registry that breaks an assigned policy is Non-compliant, with the policy and its reason one click away, and turns Compliant live", async () => {
  const table = page.getByRole("table", { name: "Registries" });
  await table.getByText("Non-compliant (1)").waitFor({ timeout: 10_000 });
  const [row] = await tableRows(table);
  assert.equal(row!.Name, REGISTRY);
  assert.match(row!["Policy compliance"]!, /^Non-compliant \(1\)/);
  // The reasons are behind the summary: not shown until it is opened, by keyboard here.
  const reasons = table.getByText(/publicNetworkAccess/);
  assert.equal(await reasons.isVisible(), false, "the reason waits behind the summary");
  await table.locator("summary").focus();
  await page.keyboard.press("Enter");
  await reasons.waitFor({ state: "visible" });
  const opened = await table.locator("details").innerText();
  assert.match(opened, /Registries without public access|Public network access should be disabled/, opened);
  assert.doesNotMatch(opened, /admin user/i, "the compliant assignment is not listed as failing");
  await screenshot(page, "registries-non-compliant");
  await assertAccessible(watched, "registries (non-compliant)");

  // Made compliant through the SDK: the open page follows within 2 s, without a reload.
  await cs.z.acr.registries.beginUpdateAndWait(cs.rg, REGISTRY, { publicNetworkAccess: "Disabled" });
  const t0 = Date.now();
  await table.getByText("Compliant", { exact: true }).waitFor({ timeout: 2_000 });
  assert.ok(Date.now() - t0 < 2_000);
  assert.equal((await tableRows(table))[0]!["Public access"], "Disabled");
  watched.assertClean();
});
