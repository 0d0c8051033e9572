// Memory given back after a wave of connections. V8 collects its old generation when an allocation
// limit is reached, not when the process goes quiet, and its memory reducer did not run on an idle
// `cove serve` (Node 26): ten thousand idle connections opened and closed leave their dead sockets
// in the old generation, the young generation grown to its maximum, and the RSS up by a third for as
// long as nothing else allocates (measured: 130 MB at start, 190 MB after three waves of 10,000).
// So when the open connections of the HTTPS listeners fall to a quarter of a peak that was at least
// `minWave` above them, and stay there for `quietMs`, one full collection runs, at most one every
// `minIntervalMs` (a client that opens and closes waves on purpose buys one pause of 50-100 ms, a few
// hundred on a loaded machine, every 5 s, no more). Normal traffic (hundreds of connections) never
// reaches a wave. After it, RSS is back near its start (test/faults/idle-connections.test.ts).
import type { Socket } from "node:net";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { Logger } from "pino";

export interface WaveOptions {
  /** Connections a wave must have closed (peak minus open). Default 1,000. */
  minWave?: number;
  /** How long the count must stay low before the collection. Default 1 s. */
  quietMs?: number;
  /** Collections at least this far apart. Default 5 s. */
  minIntervalMs?: number;
  /** The collection (tests); default V8's full garbage collection. */
  collect?: () => void;
  log?: Logger;
}

export interface ConnectionWaves {
  /** Counts an admitted connection until it closes. */
  track(socket: Socket): void;
  /** Collections run so far. */
  readonly collections: number;
  close(): void;
}

/**
 * V8's gc() in its memory-reducing flavour (what V8 runs before it gives up on an allocation: full
 * collections until nothing more is freed, the young generation shrunk and free pages returned);
 * a plain gc() leaves the committed pages in place. Exposing gc at run time reaches new contexts
 * only, so it is taken from one.
 */
function fullGc(): () => void {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as (o: object) => void;
  return () => gc({ type: "major", execution: "sync", flavor: "last-resort" });
}

export function createConnectionWaves(o: WaveOptions = {}): ConnectionWaves {
  const minWave = o.minWave ?? 1000;
  const quietMs = o.quietMs ?? 1000;
  const minIntervalMs = o.minIntervalMs ?? 5000;
  let collect = o.collect;
  let open = 0;
  let peak = 0;
  let lastAt = -Infinity;
  let collections = 0;
  let timer: NodeJS.Timeout | undefined;

  const run = () => {
    timer = undefined;
    if (open > peak / 4) return; // a new wave came: wait for its end
    const now = Date.now();
    if (now - lastAt < minIntervalMs) { timer = setTimeout(run, minIntervalMs - (now - lastAt)).unref(); return; }
    try {
      collect ??= fullGc();
      const t0 = performance.now();
      collect();
      o.log?.debug({ released: peak - open, open, ms: Math.round(performance.now() - t0) }, "a wave of connections ended: memory collected");
    } catch (err) {
      o.log?.warn({ err: String(err) }, "a wave of connections ended but the collection failed");
      collect = () => undefined;
    }
    collections++;
    lastAt = Date.now();
    peak = open;
  };
  // One shared handler for every socket ('this' is the socket), not a closure each.
  function closed(): void {
    open--;
    if (peak - open >= minWave && open <= peak / 4) {
      if (timer) timer.refresh();
      else timer = setTimeout(run, quietMs).unref();
    }
  }
  return {
    track(socket) {
      open++;
      if (open > peak) peak = open;
      socket.on("close", closed);
    },
    get collections() { return collections; },
    close() { if (timer) clearTimeout(timer); timer = undefined; },
  };
}
