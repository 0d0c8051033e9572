// IPv4 and CIDR arithmetic for the network model (DESIGN.md section 4): parsing prefixes the way
// Azure validates them, containment and overlap, and private endpoint address allocation. Pure
// functions over numbers; addresses are unsigned 32-bit integers.

import { isIPv4 } from "node:net";

export interface Cidr {
  /** First address of the block (host bits zero when `exact`). */
  base: number;
  prefix: number;
  /** Number of addresses in the block. */
  size: number;
}

export type CidrParse =
  | { ok: true; cidr: Cidr }
  /** `canonical` is set when the text is a prefix whose host bits are not zero (Azure: InvalidCIDRNotation). */
  | { ok: false; reason: "syntax" | "host-bits"; canonical?: string };

export function parseIPv4(s: string): number | undefined {
  if (!isIPv4(s)) return undefined;
  return s.split(".").reduce((n, o) => n * 256 + Number(o), 0);
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** "a.b.c.d/n" with host bits zero, as Azure requires of address spaces and subnet prefixes. */
export function parseCidr(s: string): CidrParse {
  const m = /^([0-9.]+)\/(\d{1,2})$/.exec(s);
  if (!m) return { ok: false, reason: "syntax" };
  const addr = parseIPv4(m[1]!);
  const prefix = Number(m[2]);
  if (addr === undefined || prefix > 32) return { ok: false, reason: "syntax" };
  const size = 2 ** (32 - prefix);
  const base = Math.floor(addr / size) * size;
  if (base !== addr) return { ok: false, reason: "host-bits", canonical: `${formatIPv4(base)}/${prefix}` };
  return { ok: true, cidr: { base, prefix, size } };
}

export function formatCidr(c: Cidr): string {
  return `${formatIPv4(c.base)}/${c.prefix}`;
}

export function cidrContainsAddress(c: Cidr, ip: number): boolean {
  return ip >= c.base && ip < c.base + c.size;
}

/** Is `inner` entirely inside `outer`? */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return inner.base >= outer.base && inner.base + inner.size <= outer.base + outer.size;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + b.size && b.base < a.base + a.size;
}

/** The first pair (i, j), i < j, of overlapping blocks in one list, or undefined. */
export function firstOverlap(list: Cidr[]): [number, number] | undefined {
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) if (cidrsOverlap(list[i]!, list[j]!)) return [i, j];
  }
  return undefined;
}

/**
 * Azure reserves the first four addresses of every subnet (network, gateway, two for DNS) and the
 * last (broadcast); what is left can be handed out. A /29 has 3 usable addresses, a /30 none.
 */
export function isReserved(c: Cidr, ip: number): boolean {
  return ip < c.base + 4 || ip === c.base + c.size - 1;
}

/** The `count` lowest free, unreserved addresses of the subnet, or undefined when it is full. */
export function allocate(c: Cidr, taken: ReadonlySet<number>, count: number): number[] | undefined {
  const out: number[] = [];
  const last = c.base + c.size - 2;
  for (let ip = c.base + 4; ip <= last && out.length < count; ip++) if (!taken.has(ip)) out.push(ip);
  return out.length === count ? out : undefined;
}
