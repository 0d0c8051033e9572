// Issue 7 item 14: `127.0.0.1/08` was accepted as an IP rule. Through the official
// @azure/arm-containerregistry client: leading zeros in the prefix length or in an octet are
// refused with the catalogued InvalidParameter, and nothing is stored; the plain spellings still work.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startCove, type TestCove } from "../support/cove.js";
import { createRegistry } from "../support/arm.js";
import { armFails, registries } from "./network-support.js";

let cove: TestCove;
before(async () => { cove = await startCove(); });
after(async () => { await cove?.stop(); });

const rules = (values: string[]) => ({ networkRuleSet: { defaultAction: "Deny", ipRules: values.map((value) => ({ action: "Allow", iPAddressOrRange: value })) } } as any);

test("IP rules with leading zeros in the prefix length or an octet are refused", async () => {
  const acr = registries(cove);
  await createRegistry(cove, "ipfmt-rg", "ipfmt001", "Premium");
  for (const bad of ["127.0.0.1/08", "127.0.0.0/008", "10.0.0.0/00", "127.000.0.1", "127.0.0.01", "010.0.0.0/8", "127.0.0.1/+8", "127.0.0.1/ 8"]) {
    await assert.rejects(
      acr.registries.update("ipfmt-rg", "ipfmt001", rules([bad])),
      armFails(400, "InvalidParameter", /is not an IPv4 address or range in CIDR format/),
      bad,
    );
  }
  assert.deepEqual(((await acr.registries.get("ipfmt-rg", "ipfmt001")) as any).networkRuleSet.ipRules, []);

  const good = ["127.0.0.0/8", "10.0.0.0/0", "198.51.100.7/32", "203.0.113.0/24", "192.0.2.1"];
  const ok: any = await acr.registries.update("ipfmt-rg", "ipfmt001", rules(good));
  assert.deepEqual(ok.networkRuleSet.ipRules.map((x: any) => x.iPAddressOrRange), good);
});
