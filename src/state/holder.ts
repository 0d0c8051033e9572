// Holds the current state view and rebuilds it on ONE signal: the store's change feed
// (storage/types.ts ChangeFeed), fired after every committed resource write, whoever wrote it (the
// management API, the identity provider, bootstrap; later other nodes, through LISTEN/NOTIFY).
// Nobody tells the holder what changed: it re-reads and rebuilds, which is cheap next to the write.
//
// The contract writers rely on:
//   caughtUp()      resolves once the view includes every resource write committed before the call
//                   AND every subscriber (the private listeners, the data-endpoint certificates) has
//                   finished with that view. The management API awaits it before it answers a write,
//                   so a client that saw "created" finds the endpoint IP listening and the registry
//                   served. waitFor(storeVersion) is the same for a version known from elsewhere.
//   coalescing      a rebuild starts a turn of the event loop after the first signal (the rest of a
//                   handler's writes usually land before it reads), and signals that arrive during a
//                   rebuild share ONE follow-up: a burst of writes costs at most two rebuilds.
//   audit appends, registry content and upload sessions never signal (the feed's contract), so a
//   push or an audited login never costs a rebuild.

import type { MetadataStore } from "../storage/types.js";
import { readStateFacts } from "./read-facts.js";
import { buildView, type StateView, type ViewOptions } from "./view.js";

export type StateSubscriber = (view: StateView) => void | Promise<unknown>;

export interface StateHolderOptions extends ViewOptions {
  meta: MetadataStore;
  /** A rebuild or a subscriber failed; the holder keeps the last good view and retries at the next signal. */
  onError?(err: unknown, what: "rebuild" | "subscriber"): void;
}

interface Waiter {
  version: number;
  ok(view: StateView): void;
  fail(err: unknown): void;
}

export class StateHolder {
  private view: StateView;
  /** The store version the current view includes and its subscribers have finished with. */
  private settled: number;
  private dirty = false;
  private running: Promise<void> | undefined;
  private closed = false;
  private waiters: Waiter[] = [];
  private readonly subscribers = new Set<StateSubscriber>();
  private readonly unfollow: () => void;

  /** Builds the first view from the store and follows its change feed. */
  static async open(o: StateHolderOptions): Promise<StateHolder> {
    return new StateHolder(o, buildView(await readStateFacts(o.meta, o.suffix), o, 1));
  }

  private constructor(private readonly o: StateHolderOptions, first: StateView) {
    this.view = first;
    this.settled = first.storeVersion;
    this.unfollow = o.meta.changes.onCommitted(() => this.schedule());
    // A commit between the first read and the subscription has no signal left to give.
    if (o.meta.changes.version > first.storeVersion) this.schedule();
  }

  current(): StateView {
    return this.view;
  }

  /** Calls `cb` with every new view; a returned promise is awaited before writers are answered. Returns the unsubscribe. */
  subscribe(cb: StateSubscriber): () => void {
    this.subscribers.add(cb);
    return () => { this.subscribers.delete(cb); };
  }

  /** The view once it includes every resource write committed so far (see the contract above). */
  caughtUp(): Promise<StateView> {
    return this.waitFor(this.o.meta.changes.version);
  }

  /** The view once it includes store version `version` and the subscribers have followed. */
  waitFor(version: number): Promise<StateView> {
    if (this.settled >= version) return Promise.resolve(this.view);
    if (this.closed) return Promise.reject(new Error("the state view is closed"));
    return new Promise((ok, fail) => { this.waiters.push({ version, ok, fail }); });
  }

  /** Stops following the store (shutdown); a rebuild under way finishes first. */
  async close(): Promise<void> {
    this.closed = true;
    this.unfollow();
    await this.running;
    for (const w of this.waiters.splice(0)) w.fail(new Error("the state view is closed"));
  }

  private schedule(): void {
    if (this.closed || this.dirty) return;
    this.dirty = true;
    this.running ??= this.loop();
  }

  private async loop(): Promise<void> {
    try {
      while (this.dirty && !this.closed) {
        // One turn of the event loop first: the rest of the writer's records land before the read.
        await new Promise((ok) => setImmediate(ok));
        this.dirty = false;
        await this.rebuild();
      }
    } finally {
      this.running = undefined;
    }
  }

  private async rebuild(): Promise<void> {
    let next: StateView;
    try {
      next = buildView(await readStateFacts(this.o.meta, this.o.suffix), this.o, this.view.version + 1);
    } catch (err) {
      this.o.onError?.(err, "rebuild");
      // Writers waiting for what this rebuild tried to read are told; later signals retry.
      const tried = this.o.meta.changes.version;
      this.release((w) => w.version <= tried, (w) => w.fail(err));
      return;
    }
    this.view = next;
    await Promise.all([...this.subscribers].map(async (cb) => {
      // One failing subscriber must not keep the others (or the writers) on the old state.
      try { await cb(next); } catch (err) { this.o.onError?.(err, "subscriber"); }
    }));
    this.settled = Math.max(this.settled, next.storeVersion);
    const settled = this.settled;
    this.release((w) => w.version <= settled, (w) => w.ok(this.view));
  }

  private release(which: (w: Waiter) => boolean, how: (w: Waiter) => void): void {
    const done = this.waiters.filter(which);
    this.waiters = this.waiters.filter((w) => !which(w));
    for (const w of done) how(w);
  }
}
