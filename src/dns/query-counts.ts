// A worker thread's metrics, counted locally and posted in batches (every ~250 ms and at stop):
// a message per query would cost more than the query. Views and rcodes are few, so two small maps
// and no key strings built per query.

import type { RateLimitAction } from "./rate-limit.js";
import type { CountsMessage } from "./thread-messages.js";

export class QueryCounts {
  private queries = new Map<string, Map<string, number>>();
  private dropped = 0;
  private slipped = 0;
  private total = 0;

  query(view: string, rcode: string): void {
    let byRcode = this.queries.get(view);
    if (byRcode === undefined) this.queries.set(view, (byRcode = new Map()));
    byRcode.set(rcode, (byRcode.get(rcode) ?? 0) + 1);
    this.total++;
  }

  rateLimited(action: RateLimitAction): void {
    if (action === "dropped") this.dropped++;
    else this.slipped++;
  }

  /** The counts since the last take, then zero; undefined when nothing happened. */
  take(): CountsMessage | undefined {
    if (this.total === 0 && this.dropped === 0 && this.slipped === 0) return undefined;
    const queries: CountsMessage["queries"] = [];
    for (const [view, byRcode] of this.queries) for (const [rcode, n] of byRcode) queries.push([view, rcode, n]);
    const out: CountsMessage = { type: "counts", queries, dropped: this.dropped, slipped: this.slipped, total: this.total };
    this.queries = new Map();
    this.dropped = this.slipped = this.total = 0;
    return out;
  }
}
