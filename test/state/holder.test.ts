// The state holder (src/state/holder.ts): one view, rebuilt on the store's change feed alone (these
// tests write straight into the store; nobody calls the holder), answered to writers only once the
// view and its subscribers include their write, a burst costing at most two rebuilds.
import { test } from "node:test";
import assert from "node:assert/strict";
import { StateHolder, type StateView } from "../../src/state/index.js";
import type { MetadataStore } from "../../src/storage/types.js";
import { putRegistry, registryId, settle, tempStore } from "./store.js";

const OPTS = { suffix: "cove.test", publicAddress: "127.0.0.1" };

test("open: the first view holds what is stored; later views leave earlier ones as they were", async () => {
  const s = await tempStore();
  await putRegistry(s.meta, "firstacr");
  const state = await StateHolder.open({ meta: s.meta, ...OPTS });
  try {
    const first = state.current();
    assert.equal(first.version, 1);
    assert.equal(first.network.version, 1, "the snapshot carries the view's version");
    assert.equal(first.storeVersion, s.meta.changes.version);
    assert.equal(first.registryByHost("firstacr.cove.test")?.name, "firstacr");
    assert.equal(first.registryByHost("firstacr.westeurope.data.cove.test")?.name, "firstacr", "the data endpoint names the same registry");
    assert.equal(first.registryByHost("firstacr.northeurope.data.cove.test"), undefined, "another location is not its data endpoint");
    assert.equal(first.registryByHost("firstacr.example.com"), undefined);
    await s.meta.deleteResource(registryId("firstacr"));
    const second = await state.caughtUp();
    assert.equal(second.version, 2);
    assert.equal(second.registryByHost("firstacr.cove.test"), undefined);
    assert.equal(first.registryByHost("firstacr.cove.test")?.name, "firstacr", "the old view did not change");
    assert.throws(() => { (first.registries() as any[]).push({}); }, TypeError);
    assert.throws(() => { (first.registries()[0] as any).dataEndpointEnabled = true; }, TypeError);
  } finally {
    await state.close();
    await s.close();
  }
});

test("the one signal: a write nobody reports reaches the view and its subscribers by itself", async () => {
  const s = await tempStore();
  const state = await StateHolder.open({ meta: s.meta, ...OPTS });
  try {
    const seen: number[] = [];
    const got = new Promise<StateView>((ok) => state.subscribe((v) => { seen.push(v.version); ok(v); }));
    await putRegistry(s.meta, "quietacr", { publicNetworkAccess: "Disabled" }, "NorthEurope");
    const view = await got;
    assert.equal(view.registryByHost("quietacr.cove.test")?.publicNetworkAccess, "Disabled");
    assert.equal(view.network.registryByName("quietacr")?.publicNetworkAccess, "Disabled", "the network snapshot is of the same records");
    assert.deepEqual(view.locations(), ["northeurope"]);
    assert.deepEqual(seen, [2]);
    assert.equal(state.current(), view);
  } finally {
    await state.close();
    await s.close();
  }
});

test("registry content, uploads and audit appends never cost a rebuild", async () => {
  const s = await tempStore();
  await putRegistry(s.meta, "busyacr");
  const state = await StateHolder.open({ meta: s.meta, ...OPTS });
  try {
    const first = state.current();
    const reg = registryId("busyacr").toLowerCase();
    for (let i = 0; i < 20; i++) {
      await s.meta.linkBlob(reg, "repo", "sha256:" + String(i).padStart(64, "0"), i);
      await s.meta.appendAudit({ kind: "test", i });
    }
    await s.meta.createUpload({ id: "upload-0002", registry: reg, repository: "repo", createdAt: new Date().toISOString(), expiresAt: Date.now() + 60_000 });
    await settle();
    assert.equal(state.current(), first);
    assert.equal(await state.caughtUp(), first, "nothing to wait for");
  } finally {
    await state.close();
    await s.close();
  }
});

test("a burst of writes costs at most two rebuilds, and the writer's view includes its last write", async () => {
  const s = await tempStore();
  const state = await StateHolder.open({ meta: s.meta, ...OPTS });
  try {
    let rebuilds = 0;
    let inFirst: () => void = () => {};
    const firstRunning = new Promise<void>((ok) => { inFirst = ok; });
    state.subscribe(async () => {
      rebuilds++;
      // Keep the first rebuild busy (as a slow listener reconcile would) while more writes land.
      if (rebuilds === 1) { inFirst(); await settle(); }
    });
    // One writer's records in one go: they land before the rebuild reads (one turn later).
    for (let i = 0; i < 5; i++) await putRegistry(s.meta, `burstacr${i}`);
    await firstRunning;
    // More writes while that rebuild is under way: they share ONE follow-up.
    const waits: Array<Promise<StateView>> = [];
    for (let i = 5; i < 15; i++) {
      await putRegistry(s.meta, `burstacr${i}`);
      waits.push(state.caughtUp());
    }
    const views = await Promise.all(waits);
    assert.equal(rebuilds, 2);
    assert.equal(views[0], views[9], "every writer of the burst got the same follow-up view");
    assert.equal(views[9]!.registries().length, 15);
    assert.equal(state.current().version, 3);
  } finally {
    await state.close();
    await s.close();
  }
});

test("caughtUp waits for the subscribers (the listeners' reconcile), and a failing one holds back nobody", async () => {
  const s = await tempStore();
  const errors: string[] = [];
  const state = await StateHolder.open({ meta: s.meta, ...OPTS, onError: (err, what) => errors.push(`${what}: ${(err as Error).message}`) });
  try {
    let reconciled = 0;
    state.subscribe(() => { throw new Error("subscriber bug"); });
    state.subscribe(async (v) => { await settle(); reconciled = v.version; });
    await putRegistry(s.meta, "waitacr");
    const view = await state.caughtUp();
    assert.equal(reconciled, view.version, "answered only after the slow subscriber finished with this view");
    assert.deepEqual(errors, ["subscriber: subscriber bug"]);
  } finally {
    await state.close();
    await s.close();
  }
});

test("a rebuild that fails: the writer hears of it, the last good view stays, the next write retries", async () => {
  const s = await tempStore();
  let failing = false;
  const meta = new Proxy(s.meta, {
    get(target, key) {
      if (key === "listResources" && failing) return async () => { throw new Error("disk on fire"); };
      const v = Reflect.get(target, key);
      return typeof v === "function" ? v.bind(target) : v;
    },
  }) as MetadataStore;
  const errors: string[] = [];
  const state = await StateHolder.open({ meta, ...OPTS, onError: (err, what) => errors.push(`${what}: ${(err as Error).message}`) });
  try {
    const first = state.current();
    failing = true;
    await putRegistry(s.meta, "failacr");
    await assert.rejects(state.caughtUp(), /disk on fire/);
    assert.equal(state.current(), first);
    assert.deepEqual(errors, ["rebuild: disk on fire"]);
    failing = false;
    await putRegistry(s.meta, "failacr2");
    const view = await state.caughtUp();
    assert.deepEqual(view.registries().map((r) => r.name), ["failacr", "failacr2"]);
  } finally {
    await state.close();
    await s.close();
  }
});

test("waitFor a version the store has not reached yet (another node's write) waits for it; close stops following", async () => {
  const s = await tempStore();
  const state = await StateHolder.open({ meta: s.meta, ...OPTS });
  try {
    const target = s.meta.changes.version + 2;
    let done = false;
    const waiting = state.waitFor(target).then((v) => { done = true; return v; });
    await putRegistry(s.meta, "nodeacr1");
    await settle();
    assert.equal(done, false, "one write short");
    await putRegistry(s.meta, "nodeacr2");
    const view = await waiting;
    assert.equal(view.storeVersion >= target, true);
    assert.equal(view.registries().length, 2);
    await state.close();
    await putRegistry(s.meta, "nodeacr3");
    await settle();
    assert.equal(state.current(), view, "closed: no more rebuilds");
    await assert.rejects(state.caughtUp(), /closed/);
  } finally {
    await state.close();
    await s.close();
  }
});
