// Encoded answers by (view, name, type, class), valid for one snapshot version: a state change
// bumps the version and empties the cache, so answers follow the state on the very next query.
// Bounded, because a client choosing random names must not grow it without end: when full it is
// simply emptied (cheaper than LRU bookkeeping on every hit, and refilling costs one encode a name).

import type { EncodedBody } from "./wire.js";
import type { View } from "./views.js";

/** A cached decision: an encoded answer, or "forward this upstream / refuse". */
export type Cached = EncodedBody | "outside";

export class AnswerCache {
  private version = -1;
  private readonly answers = new Map<string, Cached>();
  private readonly views = new Map<string, View>();

  constructor(private readonly maxEntries = 50_000, private readonly maxViews = 65_536) {}

  /** Empties everything when the snapshot version moved on. */
  sync(version: number): void {
    if (version === this.version) return;
    this.version = version;
    this.answers.clear();
    this.views.clear();
  }

  view(ip: string, compute: () => View): View {
    let v = this.views.get(ip);
    if (!v) {
      if (this.views.size >= this.maxViews) this.views.clear();
      v = compute();
      this.views.set(ip, v);
    }
    return v;
  }

  get(key: string): Cached | undefined {
    return this.answers.get(key);
  }

  set(key: string, value: Cached): void {
    if (this.answers.size >= this.maxEntries) this.answers.clear();
    this.answers.set(key, value);
  }
}
