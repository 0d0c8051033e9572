import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { KeyLock } from "./key-lock.js";

test("runs one task per key at a time, in arrival order; other keys run in parallel", async () => {
  const lock = new KeyLock();
  const log: string[] = [];
  const task = (key: string, name: string, ms: number) => lock.run(key, async () => {
    log.push(`${name}+`);
    await sleep(ms);
    log.push(`${name}-`);
  });
  await Promise.all([task("k", "a", 20), task("k", "b", 1), task("other", "c", 1)]);
  assert.deepEqual(log.filter((x) => x.startsWith("a") || x.startsWith("b")), ["a+", "a-", "b+", "b-"]);
  assert.ok(log.indexOf("c-") < log.indexOf("a-"), "another key did not wait");
});

test("a failing task releases the key", async () => {
  const lock = new KeyLock();
  await assert.rejects(lock.run("k", async () => { throw new Error("boom"); }), /boom/);
  assert.equal(await lock.run("k", async () => 7), 7);
});
