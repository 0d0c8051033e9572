// The soak's pacing and bookkeeping. Each workload is an open loop at a fixed rate with a cap on
// requests in flight: operations are started on schedule (not as fast as the server answers, so the
// load stays the same whatever the server does), a slot that finds the cap reached is skipped and
// counted (a server falling behind shows as skips, not as a growing queue), every operation has a
// deadline, and the loop stops by itself at `until`, then waits for what is still in flight.
import { setTimeout as sleep } from "node:timers/promises";
import { Rng } from "../../test/fuzz/support.js";

/** What one operation ended as: a success, or an expected refusal (403 DENIED on the denial loop). */
export type Outcome = "ok" | "denied";

export interface Counts { ok: number; denied: number; errors: number; skipped: number }

/** One workload's counters: cumulative, read by the sampler every few seconds. */
export class Tally implements Counts {
  ok = 0;
  denied = 0;
  errors = 0;
  skipped = 0;
  /** Error reasons with their counts (at most 20 distinct; the rest under "other"). */
  readonly reasons = new Map<string, number>();
  /** Latencies in ms: a reservoir of at most 20,000 (Algorithm R, seeded), for the totals' p50/p99. */
  private readonly sample: number[] = [];
  private seen = 0;
  private readonly rng: Rng;

  constructor(readonly name: string, seed: number) {
    this.rng = new Rng(seed);
  }

  counts(): Counts {
    return { ok: this.ok, denied: this.denied, errors: this.errors, skipped: this.skipped };
  }

  fail(reason: string): void {
    this.errors++;
    const key = this.reasons.has(reason) || this.reasons.size < 20 ? reason : "other";
    this.reasons.set(key, (this.reasons.get(key) ?? 0) + 1);
  }

  latency(ms: number): void {
    this.seen++;
    if (this.sample.length < 20_000) this.sample.push(ms);
    else {
      const j = Math.floor((this.rng.next() / 2 ** 32) * this.seen);
      if (j < this.sample.length) this.sample[j] = ms;
    }
  }

  percentile(q: number): number {
    if (this.sample.length === 0) return NaN;
    const s = [...this.sample].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  }
}

export interface PaceSpec {
  /** Operations started per second. */
  rate: number;
  maxInFlight: number;
  /** Date.now() at which no new operation starts. */
  until: number;
  /** An operation that has not ended by then counts as an error ("timeout"). */
  timeoutMs: number;
}

/** Runs `op(i)` for i = 0, 1, ... at `rate` per second until `until`, into `tally`. */
export async function paced(spec: PaceSpec, tally: Tally, op: (i: number) => Promise<Outcome>): Promise<void> {
  const started = Date.now();
  const running = new Set<Promise<void>>();
  // Timers below ~10 ms are not kept on a loaded machine: wake every 20 ms (or every slot, when slower)
  // and start every slot that is due.
  const tick = Math.max(20, Math.min(250, 1000 / spec.rate));
  let slot = 0;
  for (let now = Date.now(); now < spec.until; now = Date.now()) {
    const due = Math.floor(((now - started) / 1000) * spec.rate) + 1;
    for (; slot < due; slot++) {
      if (running.size >= spec.maxInFlight) { tally.skipped++; continue; }
      const p = one(spec, tally, op, slot).finally(() => running.delete(p));
      running.add(p);
    }
    await sleep(tick);
  }
  await Promise.all(running);
}

async function one(spec: PaceSpec, tally: Tally, op: (i: number) => Promise<Outcome>, i: number): Promise<void> {
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, fail) => { timer = setTimeout(() => fail(new Error("timeout")), spec.timeoutMs); });
  try {
    const outcome = await Promise.race([op(i), deadline]);
    tally.latency(performance.now() - t0);
    if (outcome === "denied") tally.denied++;
    else tally.ok++;
  } catch (e) {
    tally.fail(reasonOf(e));
  } finally {
    clearTimeout(timer);
  }
}

/** A short reason for an error: its message's first line, without numbers that differ every time. */
export function reasonOf(e: unknown): string {
  const msg = e instanceof Error ? `${(e as NodeJS.ErrnoException).code ?? ""} ${e.message}`.trim() : String(e);
  return msg.split("\n")[0]!.replace(/[0-9a-f]{64}/g, "<digest>").replace(/\d{4,}/g, "<n>").slice(0, 160);
}

/** Throws a reason naming the step and what came back, unless `status` is the expected one. */
export function expect(step: string, status: number, want: number | number[], body?: Buffer): void {
  const ok = Array.isArray(want) ? want.includes(status) : status === want;
  if (!ok) throw new Error(`${step}: ${status} ${body ? body.toString("utf8").slice(0, 120) : ""}`.trim());
}
