// For every ARM write route (each PUT, PATCH and DELETE of control-plane/arm/routes.ts), the answer
// comes only once the state view includes the write: right after it, the next registry request, the
// DNS answer and the listener set a client meets are the new ones (write-scenarios.ts). A route
// without a scenario fails the first test, so a new write route must say what it changes.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { ROUTES } from "../../src/control-plane/arm/routes.js";
import { openWorld, type World } from "./world.js";
import { SCENARIOS as ARM_SCENARIOS, names } from "./write-scenarios.js";
import { NETWORK_SCENARIOS } from "./write-scenarios-network.js";
import { POLICY_SCENARIOS } from "./write-scenarios-policy.js";
import { INSIGHTS_SCENARIOS } from "./write-scenarios-insights.js";

const SCENARIOS = { ...ARM_SCENARIOS, ...NETWORK_SCENARIOS, ...POLICY_SCENARIOS, ...INSIGHTS_SCENARIOS };
const WRITES = ROUTES.filter((r) => r.method === "PUT" || r.method === "PATCH" || r.method === "DELETE").map((r) => `${r.method} ${r.pattern}`);

let w: World;
before(async () => { w = await openWorld(); });
after(async () => { await w?.close(); });

test("every ARM write route has a scenario, and every scenario names a route", () => {
  assert.ok(WRITES.length >= 30, `found ${WRITES.length} write routes`);
  assert.deepEqual(WRITES.filter((k) => !(k in SCENARIOS)), [], "write routes without a scenario");
  assert.deepEqual(Object.keys(SCENARIOS).filter((k) => !WRITES.includes(k)), [], "scenarios for routes that do not exist");
});

let i = 0;
for (const route of WRITES) {
  const s = SCENARIOS[route];
  const n = names(++i);
  test(`${route}: ${s?.unchanged ?? s?.refused?.why ?? "the next request, DNS answer and listener set follow the write"}`, { skip: !s && "no scenario (the test above fails)" }, async () => {
    await s!.setup?.(w, n);
    const write = s!.write(w, n);
    const seen = w.view();
    const was = s!.observe ? await s!.observe(w, n) : undefined;
    if (s!.before) assert.deepEqual(was, s!.before(n), "before the write");
    const r = await w.h.call(write.method, write.url, { body: write.body });
    const now = w.view();
    if (s!.refused) {
      assert.equal(r.status, s!.refused.status, r.text);
      assert.equal(now, seen, "nothing committed: the very same view, no rebuild");
      return;
    }
    assert.ok(r.status >= 200 && r.status < 300, `${write.method} ${write.url}: ${r.status} ${r.text}`);
    // Read right after the answer, without waiting: the front door answered only once the view had caught up.
    assert.ok(now.storeVersion > seen.storeVersion && now.version > seen.version, "the write committed and the view was rebuilt before the answer");
    if (s!.unchanged) {
      assert.deepEqual(now.facts.registries, seen.facts.registries, "registry views unchanged");
      assert.deepEqual(now.facts.network, seen.facts.network, "network facts unchanged");
      return;
    }
    assert.deepEqual(await s!.observe!(w, n), s!.after!(n), "right after the write's answer");
  });
}
