// One small router for the ARM surface. A route declares, in one line, its method, path,
// resource provider (which api-versions it accepts), the permission it requires and whether it is
// audited (house style habit 5: the permission is visible where the route is declared).
//
// Paths match case-insensitively (az sends `resourceGroups`, the JS SDKs `resourcegroups`, the
// privatedns SDK lower-cases types); parameters keep the case the client sent. A pattern that starts
// with `{scope}` matches any prefix: Microsoft.Authorization routes live under every scope.

import type { ArmHandler } from "./types.js";
import type { ProviderKey } from "./api-versions.js";

export type RouteAuth =
  /** No token needed (cloud metadata discovery). */
  | { kind: "none" }
  /** Any valid token; the handler filters what it returns (list operations, as ARM's RBAC filtering). */
  | { kind: "authenticated" }
  /** `action` must be held at the scope built from the path parameters. */
  | { kind: "action"; action: string; scope: (p: Record<string, string>) => string };

export interface Route {
  method: string;
  pattern: string;
  provider: ProviderKey;
  /** Short resource type Azure names in NoRegisteredProviderFound, e.g. "registries". */
  type: string;
  auth: RouteAuth;
  /** Writes are audited (index.ts appends one event with the outcome). */
  audit: boolean;
  /** The handler receives the parsed JSON body. */
  body: boolean;
  handler: ArmHandler;
}

export function route(
  method: string,
  pattern: string,
  provider: ProviderKey,
  type: string,
  auth: RouteAuth,
  opts: { audit?: boolean; body?: boolean },
  handler: ArmHandler,
): Route {
  return { method, pattern, provider, type, auth, audit: opts.audit ?? false, body: opts.body ?? false, handler };
}

export const requires = (action: string, scope: (p: Record<string, string>) => string): RouteAuth => ({ kind: "action", action, scope });
export const authenticated: RouteAuth = { kind: "authenticated" };
export const anonymous: RouteAuth = { kind: "none" };

export type MatchResult =
  | { kind: "route"; route: Route; params: Record<string, string> }
  | { kind: "method-not-allowed" }
  | { kind: "no-route" };

/** Splits a raw path into percent-decoded segments; undefined when an escape is malformed. */
export function pathSegments(rawPath: string): string[] | undefined {
  const trimmed = rawPath.replace(/\/+$/, "");
  const parts = trimmed.split("/").filter((s) => s !== "");
  try {
    return parts.map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}

function matchSegments(pattern: string[], segs: string[], params: Record<string, string>): boolean {
  if (pattern.length !== segs.length) return false;
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p.startsWith("{") && p.endsWith("}")) params[p.slice(1, -1)] = segs[i]!;
    else if (p.toLowerCase() !== segs[i]!.toLowerCase()) return false;
  }
  return true;
}

function matchOne(r: Route, segs: string[]): Record<string, string> | undefined {
  const pat = r.pattern.split("/").filter((s) => s !== "");
  const params: Record<string, string> = {};
  if (pat[0] === "{scope}") {
    const rest = pat.slice(1);
    if (segs.length < rest.length) return undefined;
    const head = segs.slice(0, segs.length - rest.length);
    if (!matchSegments(rest, segs.slice(segs.length - rest.length), params)) return undefined;
    params.scope = head.length ? "/" + head.join("/") : "";
    return params;
  }
  return matchSegments(pat, segs, params) ? params : undefined;
}

export function matchRoute(routes: Route[], method: string, segs: string[]): MatchResult {
  let pathMatched = false;
  // HEAD is its own route where ARM defines it (resource group existence); otherwise not allowed.
  for (const r of routes) {
    const params = matchOne(r, segs);
    if (!params) continue;
    if (r.method === method) return { kind: "route", route: r, params };
    pathMatched = true;
  }
  return pathMatched ? { kind: "method-not-allowed" } : { kind: "no-route" };
}
