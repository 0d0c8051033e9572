// One-time sign-in codes for `cove portal`: the CLI's logged-in principal asks for a code, the URL it
// opens carries the code in its fragment (never sent in a request line, so never in an access log or a
// Referer), and the page trades it once for an access token. A code lives 60 s and works once; only
// its SHA-256 is kept, so a heap dump does not hand out sign-ins. Codes are held in this process: on
// several nodes (issue 13) the page must trade a code on the node that made it, or the codes move to
// the shared store.
import { createHash, randomBytes } from "node:crypto";
import type { Principal } from "../auth/types.js";

export const CODE_TTL_MS = 60_000;
/** Open codes per principal: enough for several browsers, too few to fill the memory. */
export const MAX_OPEN_CODES = 20;

interface Entry { principal: Principal; expiresAt: number }

const hash = (code: string) => createHash("sha256").update(code).digest("hex");

export class SignInCodes {
  private readonly open = new Map<string, Entry>();
  constructor(private readonly now: () => number = Date.now) {}

  /** A new code for `principal`, or undefined when it already has MAX_OPEN_CODES open. */
  issue(principal: Principal): { code: string; expiresAt: number } | undefined {
    this.sweep();
    let mine = 0;
    for (const e of this.open.values()) if (e.principal.id === principal.id) mine++;
    if (mine >= MAX_OPEN_CODES) return undefined;
    const code = randomBytes(32).toString("base64url");
    const expiresAt = this.now() + CODE_TTL_MS;
    this.open.set(hash(code), { principal, expiresAt });
    return { code, expiresAt };
  }

  /** The code's principal, once: the code is gone whatever the answer. */
  redeem(code: string): Principal | undefined {
    const key = hash(code);
    const e = this.open.get(key);
    this.open.delete(key);
    return e && e.expiresAt > this.now() ? e.principal : undefined;
  }

  size(): number {
    this.sweep();
    return this.open.size;
  }

  private sweep(): void {
    const t = this.now();
    for (const [k, e] of this.open) if (e.expiresAt <= t) this.open.delete(k);
  }
}
