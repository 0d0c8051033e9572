// One-time sign-in codes for `cove portal`: the CLI's logged-in principal asks for a code, the URL it
// opens carries the code in its fragment (never sent in a request line, so never in an access log or a
// Referer), and the page trades it once for an access token. A code lives 60 s and works once; only
// its SHA-256 is kept, so a heap dump or a database dump does not hand out sign-ins.
//
// Where they are kept: in the process, or (given a MetadataStore: main.ts does so when nodes share
// one) in the store, so that behind a load balancer the page may trade a code on any node:
//
//   /cove/portal/signInCodes/<sha256 hex>   type Cove/signInCode   {principal, expiresAt}
//
// Redeeming deletes the record, and only the deleter that actually removed it gets the principal,
// so a code works once however many nodes are asked at the same moment.
import { createHash, randomBytes } from "node:crypto";
import type { Principal } from "../auth/types.js";
import type { MetadataStore } from "../storage/types.js";

export const CODE_TTL_MS = 60_000;
/** Open codes per principal: enough for several browsers, too few to fill the memory. */
export const MAX_OPEN_CODES = 20;
const ROOT = "/cove/portal/signInCodes";
const TYPE = "Cove/signInCode";

interface Entry { principal: Principal; expiresAt: number }

/** Where the digests live: a Map of this process, or the shared store. */
interface Held {
  all(): Promise<Array<[string, Entry]>>;
  put(key: string, e: Entry): Promise<void>;
  /** The entry, if this call removed it. */
  take(key: string): Promise<Entry | undefined>;
  drop(key: string): Promise<void>;
}

const hash = (code: string) => createHash("sha256").update(code).digest("hex");

function inMemory(open: Map<string, Entry>): Held {
  return {
    all: async () => [...open],
    put: async (k, e) => { open.set(k, e); },
    take: async (k) => { const e = open.get(k); open.delete(k); return e; },
    drop: async (k) => { open.delete(k); },
  };
}

function asEntry(body: unknown): Entry | undefined {
  const b = body as Partial<Entry> | undefined;
  return b && typeof b.expiresAt === "number" && b.principal && typeof b.principal.id === "string" ? { principal: b.principal, expiresAt: b.expiresAt } : undefined;
}

function inStore(meta: MetadataStore): Held {
  const id = (k: string) => `${ROOT}/${k}`;
  return {
    all: async () => (await meta.listResources({ type: TYPE, underId: ROOT })).flatMap((r) => {
      const e = asEntry(r.body);
      return e ? [[r.id.slice(ROOT.length + 1).toLowerCase(), e] as [string, Entry]] : [];
    }),
    put: (k, e) => meta.putResource({ id: id(k), type: TYPE, body: { principal: e.principal, expiresAt: e.expiresAt } }),
    take: async (k) => {
      const rec = await meta.getResource(id(k));
      if (!rec) return undefined;
      return (await meta.deleteResource(id(k))) ? asEntry(rec.body) : undefined;
    },
    drop: async (k) => { await meta.deleteResource(id(k)); },
  };
}

export class SignInCodes {
  private readonly open = new Map<string, Entry>();
  private readonly held: Held;

  constructor(private readonly now: () => number = Date.now, meta?: MetadataStore) {
    this.held = meta ? inStore(meta) : inMemory(this.open);
  }

  /** A new code for `principal`, or undefined when it already has MAX_OPEN_CODES open. */
  async issue(principal: Principal): Promise<{ code: string; expiresAt: number } | undefined> {
    const live = await this.sweep();
    if (live.filter(([, e]) => e.principal.id === principal.id).length >= MAX_OPEN_CODES) return undefined;
    const code = randomBytes(32).toString("base64url");
    const expiresAt = this.now() + CODE_TTL_MS;
    await this.held.put(hash(code), { principal, expiresAt });
    return { code, expiresAt };
  }

  /** The code's principal, once: the code is gone whatever the answer. */
  async redeem(code: string): Promise<Principal | undefined> {
    const e = await this.held.take(hash(code));
    return e && e.expiresAt > this.now() ? e.principal : undefined;
  }

  async size(): Promise<number> {
    return (await this.sweep()).length;
  }

  /** Removes the expired codes; returns the others. */
  private async sweep(): Promise<Array<[string, Entry]>> {
    const t = this.now();
    const all = await this.held.all();
    for (const [k, e] of all) if (e.expiresAt <= t) await this.held.drop(k);
    return all.filter(([, e]) => e.expiresAt > t);
  }
}
