// A networked store's health as its calls find it: up or down, and the change logged once each way
// (warn when an outage starts, info when it ends) instead of once per failed request. The PostgreSQL
// driver (pg-errors.ts) and the Azure Blob driver (azure-errors.ts) each keep one.
import { StoreUnavailable, isDomainError } from "../domain/errors.js";

/** Where the driver reports an outage's start and end (main.ts passes Cove's logger). */
export interface StoreLog {
  warn(o: object, msg: string): void;
  info(o: object, msg: string): void;
}

/** Up or down, as the last call found it; logs only the changes. */
export class StoreHealth {
  private down = false;

  /** `what` names the store in the two log lines; `map` turns a driver's failure into the store's words. */
  constructor(private readonly log: StoreLog | undefined, private readonly what: string, private readonly map: (e: unknown) => unknown, private readonly store: string) {}

  get available(): boolean {
    return !this.down;
  }

  /** Runs a call against the database and rethrows its failure in the store's words. */
  async call<T>(fn: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await fn();
    } catch (e) {
      const mapped = this.map(e);
      if (mapped instanceof StoreUnavailable) this.failed(mapped);
      else if (!isDomainError(mapped)) this.recovered();
      throw mapped;
    }
    this.recovered();
    return result;
  }

  failed(e: StoreUnavailable): void {
    if (this.down) return;
    this.down = true;
    // No stack: an outage is the database's state, not a bug in Cove.
    this.log?.warn({ store: this.store, reason: e.message }, `${this.what} is unavailable: requests that need it answer 503 until it is back`);
  }

  recovered(): void {
    if (!this.down) return;
    this.down = false;
    this.log?.info({ store: this.store }, `${this.what} is available again`);
  }
}

/**
 * `store` with every method that returns a promise watched by `health`: StoreUnavailable marks the
 * store down, any other answer (a blob not found included: the store answered) marks it up. The
 * caller gets the very promise the method returned.
 */
export function observed<T extends object>(store: T, health: StoreHealth): T {
  return onPromises(store, (r) => {
    r.then(() => health.recovered(), (e) => (e instanceof StoreUnavailable ? health.failed(e) : health.recovered()));
    return r;
  });
}

/**
 * `store` whose every method that returns a promise hands it to `wrap` (with the method's name),
 * and answers what `wrap` returns; every other member is the store's own.
 */
export function onPromises<T extends object>(store: T, wrap: (r: Promise<unknown>, method: PropertyKey) => Promise<unknown>): T {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== "function") return v;
      return (...args: unknown[]) => {
        const r = (v as (...a: unknown[]) => unknown).apply(target, args);
        return r instanceof Promise ? wrap(r, prop) : r;
      };
    },
  });
}
