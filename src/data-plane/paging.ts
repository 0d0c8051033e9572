// `n`/`last` paging shared by /v2/_catalog, tags/list and the /acr/v1 listings, and the RFC 8288
// `Link: <...>; rel="next"` header that points at the next page (OCI dist-spec v1.1 "Listing
// Tags": a registry returning fewer than n results because more exist MUST say so with Link).
import type { RequestContext } from "../http/types.js";

/** Largest page Cove serves; a larger `n` is clamped and the Link header carries the rest. */
export const MAX_PAGE = 1000;

export interface PageRequest {
  n?: number;
  last?: string;
}

/** Reads `n` and `last`; a missing, malformed or negative `n` means "no limit asked". */
export function pageRequest(ctx: RequestContext): PageRequest {
  const rawN = ctx.query.get("n");
  const last = ctx.query.get("last") ?? undefined;
  let n: number | undefined;
  if (rawN !== null && /^\d{1,9}$/.test(rawN)) n = Math.min(Number(rawN), MAX_PAGE);
  return { n, last: last === "" ? undefined : last };
}

/** `<path?last=..&n=..>; rel="next"` with the query values encoded. */
export function nextLink(path: string, last: string, n: number | undefined, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams({ last, ...(n === undefined ? {} : { n: String(n) }), ...extra });
  return `<${path}?${q.toString()}>; rel="next"`;
}
