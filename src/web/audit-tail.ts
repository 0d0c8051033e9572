// The audit log's last sequence number, for the page's change poll. The store has no "last record"
// query and its interface stays small (issue 13 brings a second driver): this reads forward from the
// last number it knew, a page at a time, so after the first call each poll reads only what was
// appended since. Polls that overlap share one read.
import type { MetadataStore } from "../storage/types.js";

const PAGE = 2000;

export class AuditTail {
  private last = 0;
  private reading?: Promise<number>;
  constructor(private readonly meta: MetadataStore) {}

  seq(): Promise<number> {
    this.reading ??= this.read().finally(() => { this.reading = undefined; });
    return this.reading;
  }

  private async read(): Promise<number> {
    for (;;) {
      const page = await this.meta.readAudit(this.last, PAGE);
      if (page.length > 0) this.last = page[page.length - 1]!.seq;
      if (page.length < PAGE) return this.last;
    }
  }
}
