// Issue 7 item 11: a 100,000-deep value inside `tags` once reached a recursive reader (RangeError,
// 500). Request documents are bounded at 64 levels before they are parsed: deeper is 400
// InvalidRequestContent, for every management route that reads a JSON body, and the server keeps
// answering. Real Cove, real HTTPS.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startCove, type TestCove } from "../support/cove.js";
import { managementToken } from "../support/arm.js";
import { https } from "../support/http.js";
import { MAX_JSON_DEPTH } from "../../src/control-plane/arm/strict-json.js";

let cove: TestCove;
let token: string;

const rg = (name: string) => `/subscriptions/${cove.credentials.subscriptionId}/resourceGroups/${name}`;
const registryPath = (name: string) => `${rg("deep-rg")}/providers/Microsoft.ContainerRegistry/registries/${name}?api-version=2023-07-01`;

async function send(method: string, path: string, body: string) {
  return https(`${cove.managementUrl}${path}`, {
    method, ca: cove.ca, body, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
  });
}

/** `n` nested arrays: [[[...]]] */
const arrays = (n: number) => "[".repeat(n) + "]".repeat(n);
/** `n` nested objects: {"a":{"a":...{}}} */
const objects = (n: number) => '{"a":'.repeat(n - 1) + "{}" + "}".repeat(n - 1);
/** A registry body whose tag `a` holds `value` (the body itself is depth 2 at `tags`). */
const registryWithTag = (value: string) => `{"location":"westeurope","sku":{"name":"Premium"},"tags":{"a":${value}}}`;

function assertTooDeep(r: { status: number; json(): any }, what: string) {
  assert.equal(r.status, 400, what);
  const e = r.json().error;
  assert.equal(e.code, "InvalidRequestContent", what);
  assert.match(e.message, new RegExp(`nested deeper than ${MAX_JSON_DEPTH} levels`), what);
}

before(async () => {
  cove = await startCove();
  token = await managementToken(cove);
  const r = await send("PUT", `${rg("deep-rg")}?api-version=2021-04-01`, '{"location":"westeurope"}');
  assert.equal(r.status, 201, r.body.toString());
});

after(async () => {
  await cove?.stop();
});

test("a 100,000-deep array in tags answers 400 InvalidRequestContent, and the server keeps answering", async () => {
  const r = await send("PUT", registryPath("deepacr01"), registryWithTag(arrays(100_000)));
  assertTooDeep(r, "deep array");
  const health = await https(`${cove.managementUrl}/healthz`, { ca: cove.ca });
  assert.equal(health.status, 200);
  // Nothing was written.
  const get = await send("GET", registryPath("deepacr01"), "");
  assert.equal(get.status, 404);
});

test("a 100,000-deep object answers the same, on every kind of body-reading route", async () => {
  const deep = objects(100_000);
  const cases: Array<[string, string, string]> = [
    ["PUT", registryPath("deepacr02"), registryWithTag(deep)],
    ["PATCH", registryPath("deepacr02"), `{"tags":${deep}}`],
    ["PUT", `${rg("deep2-rg")}?api-version=2021-04-01`, `{"location":"westeurope","tags":${deep}}`],
    ["PUT", `${rg("deep-rg")}/providers/Microsoft.Network/virtualNetworks/vnet1?api-version=2024-05-01`, `{"location":"westeurope","properties":${deep}}`],
    // Service principal bodies are capped at 64 KiB: 1,000 levels fit under the cap.
    ["POST", "/cove/identity/servicePrincipals", `{"displayName":${arrays(1_000)}}`],
    // A deep document that is not even valid JSON at its end is still refused for its depth, not parsed.
    ["PUT", registryPath("deepacr03"), `{"tags":${"[".repeat(200_000)}`],
  ];
  for (const [method, path, body] of cases) assertTooDeep(await send(method, path, body), `${method} ${path}`);
  assert.equal((await https(`${cove.managementUrl}/healthz`, { ca: cove.ca })).status, 200);
});

test(`a document exactly ${MAX_JSON_DEPTH} deep is parsed (and judged on its content); one more level is refused`, async () => {
  // Body depth = 2 (top object, tags) + the arrays.
  const within = await send("PUT", registryPath("deepacr04"), registryWithTag(arrays(MAX_JSON_DEPTH - 2)));
  assert.equal(within.status, 400);
  const e = within.json().error;
  assert.equal(e.code, "InvalidRequestContent");
  assert.doesNotMatch(e.message, /nested deeper/);
  assert.match(e.message, /Path 'tags\.a'/, "the strict reader saw the parsed value");
  assertTooDeep(await send("PUT", registryPath("deepacr04"), registryWithTag(arrays(MAX_JSON_DEPTH - 1))), "one level more");
  // Brackets inside strings are text, not depth: a tag value full of them is a valid tag.
  const ok = await send("PUT", registryPath("deepacr04"), registryWithTag(JSON.stringify("[{".repeat(100))));
  assert.ok(ok.status === 200 || ok.status === 201, ok.body.toString());
  assert.equal(ok.json().tags.a, "[{".repeat(100));
});
