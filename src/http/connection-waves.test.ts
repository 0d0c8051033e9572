// The wave collector's rule with stand-in sockets and a counting collection: a wave of 1,000 closed
// connections collects once the count has stayed low for the quiet time; fewer, or a count that stays
// above a quarter of its peak, never do; two waves in a row are collected at most one interval apart.
import { test } from "node:test";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { createConnectionWaves } from "./connection-waves.js";

function sockets(n: number): EventEmitter[] {
  return Array.from({ length: n }, () => new EventEmitter());
}

function setup(minIntervalMs = 300) {
  let collected = 0;
  const waves = createConnectionWaves({ minWave: 1000, quietMs: 50, minIntervalMs, collect: () => { collected++; } });
  const open = (n: number) => { const s = sockets(n); for (const x of s) waves.track(x as unknown as Socket); return s; };
  const close = (s: EventEmitter[]) => { for (const x of s) x.emit("close"); };
  return { waves, open, close, collected: () => collected };
}

test("a wave of 1,000 closed connections is collected once, after the quiet time", async () => {
  const w = setup();
  const keep = w.open(200);
  const wave = w.open(1000);
  w.close(wave.slice(0, 500));
  await sleep(100);
  assert.equal(w.collected(), 0, "half the wave closed: 700 still open, more than a quarter of the peak");
  w.close(wave.slice(500));
  assert.equal(w.collected(), 0, "not before the quiet time");
  await sleep(120);
  assert.equal(w.collected(), 1);
  await sleep(100);
  assert.equal(w.collected(), 1, "once");
  w.close(keep);
  w.waves.close();
});

test("999 closed connections are no wave; a count that stays above a quarter of its peak is none either", async () => {
  const w = setup();
  w.close(w.open(999));
  await sleep(120);
  assert.equal(w.collected(), 0);
  const base = w.open(1000);
  const more = w.open(1000);
  w.close(more); // 1,000 closed, but 1,000 of the peak of 2,000 are still open
  await sleep(120);
  assert.equal(w.collected(), 0);
  w.close(base);
  await sleep(120);
  assert.equal(w.collected(), 1);
  w.waves.close();
});

test("two waves in a row: the second is collected only when the interval has passed", async () => {
  const w = setup(400);
  w.close(w.open(1000));
  await sleep(100);
  assert.equal(w.collected(), 1);
  w.close(w.open(1000));
  await sleep(150);
  assert.equal(w.collected(), 1, "within the interval: deferred");
  await sleep(350);
  assert.equal(w.collected(), 2, "deferred, not dropped");
  w.waves.close();
});
