// A management body must be UTF-8 (RFC 8259 8.1). Bytes that are not were decoded as U+FFFD and
// stored, so a tag came back other than it was sent. Now such a body is 400 InvalidRequestContent,
// nothing is written, and valid multi-byte text is stored byte for byte. Real Cove, real HTTPS.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startCove, type TestCove } from "../support/cove.js";
import { managementToken } from "../support/arm.js";
import { https } from "../support/http.js";

let cove: TestCove;
let token: string;

const groupPath = (name: string) => `/subscriptions/${cove.credentials.subscriptionId}/resourceGroups/${name}?api-version=2021-04-01`;

function send(method: string, path: string, body?: Buffer) {
  return https(`${cove.managementUrl}${path}`, {
    method, ca: cove.ca, body, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
  });
}

/** A resource group body whose tag `t` holds `value`'s bytes, unescaped. */
const withTag = (value: Buffer) => Buffer.concat([Buffer.from('{"location":"westeurope","tags":{"t":"'), value, Buffer.from('"}}')]);

before(async () => {
  cove = await startCove();
  token = await managementToken(cove);
});

after(async () => {
  await cove?.stop();
});

test("a body that is not UTF-8 is 400 InvalidRequestContent and writes nothing", async () => {
  const bad: Array<[string, Buffer]> = [
    ["a lone continuation byte", Buffer.from([0x61, 0x80, 0x62])],
    ["a truncated two-byte sequence", Buffer.from([0xc3, 0x28])],
    ["an overlong slash", Buffer.from([0xc0, 0xaf])],
    ["a UTF-16 surrogate in UTF-8", Buffer.from([0xed, 0xa0, 0x80])],
    ["0xFF", Buffer.from([0xff])],
  ];
  for (const [what, bytes] of bad) {
    const name = `utf8-bad-${bad.findIndex(([w]) => w === what)}`;
    const r = await send("PUT", groupPath(name), withTag(bytes));
    assert.equal(r.status, 400, `${what}: ${r.body}`);
    assert.equal(r.json().error.code, "InvalidRequestContent", what);
    assert.match(r.json().error.message, /not valid UTF-8/, what);
    assert.equal((await send("GET", groupPath(name))).status, 404, `${what}: nothing was written`);
  }
});

test("valid multi-byte UTF-8 is stored and read back unchanged", async () => {
  const value = "Zürich 東京 🚢";
  const r = await send("PUT", groupPath("utf8-good"), withTag(Buffer.from(value, "utf8")));
  assert.equal(r.status, 201, r.body.toString());
  const got = await send("GET", groupPath("utf8-good"));
  assert.equal(got.json().tags.t, value);
});
