// Registry token scopes (`repository:<name>:pull,push`, `registry:catalog:*`), the `access` claim
// of an access token, and the challenge scope a route's need asks for. Pure functions.
//
// The rule that matters: an access token grants the INTERSECTION of what was requested and what the
// principal holds. A pull-only identity asking for pull,push gets a token with pull alone.

import type { RegistryAction } from "../../auth/types.js";
import type { Need } from "../registry-auth-contract.js";
import { validateRepositoryName } from "../../domain/oci.js";

export interface AccessEntry {
  type: string;
  name: string;
  actions: string[];
}

/** At most this many scopes in one token request (a request lists the few the client needs). */
export const MAX_SCOPES = 64;
const TYPE = /^[a-z0-9_-]{1,64}(?:\([a-z0-9_-]{1,64}\))?$/i;
const ACTION = /^(?:\*|[a-z_]{1,32})$/i;
const REGISTRY_ACTIONS = ["pull", "push", "delete"] as const;

/**
 * Parses `scope` values (each may hold several scopes separated by spaces, as some clients send
 * them). undefined when one is malformed or there are too many.
 */
export function parseScopes(values: string[]): AccessEntry[] | undefined {
  const out: AccessEntry[] = [];
  for (const v of values) {
    for (const s of v.split(" ")) {
      if (s === "") continue;
      const first = s.indexOf(":");
      const last = s.lastIndexOf(":");
      if (first <= 0 || last === first || last === s.length - 1) return undefined;
      const rawType = s.slice(0, first);
      const name = s.slice(first + 1, last);
      const actions = s.slice(last + 1).split(",");
      if (!TYPE.test(rawType) || name.length === 0 || name.length > 512 || !actions.every((a) => ACTION.test(a))) return undefined;
      const type = rawType.replace(/\(.*\)$/, "").toLowerCase();
      if (type === "repository") {
        try {
          validateRepositoryName(name);
        } catch {
          return undefined;
        }
      }
      out.push({ type, name, actions: [...new Set(actions)] });
      if (out.length > MAX_SCOPES) return undefined;
    }
  }
  return out;
}

/**
 * The `access` claim to issue: each requested entry keeps only the actions the principal holds
 * (`granted`); `*` on a repository stands for pull, push and delete. `registry:catalog:*` needs
 * `catalog`. Entries of other types are echoed with no actions (az check-health asks for
 * `registry:None:*` and only needs a token back).
 */
export function grantAccess(requested: AccessEntry[], granted: Set<RegistryAction>, catalog: boolean): AccessEntry[] {
  const has = (a: string) => granted.has("*") || granted.has(a as RegistryAction);
  const merged = new Map<string, AccessEntry>();
  for (const r of requested) {
    let actions: string[] = [];
    if (r.type === "repository") {
      for (const a of r.actions) {
        if (a === "*") actions.push(...REGISTRY_ACTIONS.filter(has));
        else if ((REGISTRY_ACTIONS as readonly string[]).includes(a) && has(a)) actions.push(a);
      }
      if (r.actions.includes("*") && REGISTRY_ACTIONS.every(has)) actions.push("*");
    } else if (r.type === "registry" && r.name === "catalog" && catalog) {
      actions = r.actions.filter((a) => a === "*");
    }
    const key = `${r.type}\u0000${r.name}`;
    const prev = merged.get(key);
    merged.set(key, { type: r.type, name: r.name, actions: [...new Set([...(prev?.actions ?? []), ...actions])] });
  }
  return [...merged.values()];
}

/** True when the `access` claim of a verified token covers `need`. */
export function accessAllows(access: unknown, need: Need): boolean {
  if (need.kind === "base") return true;
  if (!Array.isArray(access)) return false;
  const entries = access.filter(
    (e): e is AccessEntry => !!e && typeof e.type === "string" && typeof e.name === "string" && Array.isArray(e.actions),
  );
  if (need.kind === "catalog") {
    return entries.some((e) => e.type === "registry" && e.name === "catalog" && e.actions.includes("*"));
  }
  const held = new Set<string>();
  for (const e of entries) if (e.type === "repository" && e.name === need.repository) e.actions.forEach((a) => held.add(a));
  return need.actions.every((a) => held.has(a) || held.has("*"));
}

/** Actions to name in a challenge: a push also asks for pull, as ACR's challenges do (one token serves both). */
export function challengeActions(need: Need): string[] {
  if (need.kind !== "repository") return ["*"];
  const acts = new Set<string>(need.actions);
  if (acts.has("push")) acts.add("pull");
  return ["pull", "push", "delete", "*"].filter((a) => acts.has(a));
}

/** The `scope` of the 401 challenge; undefined for the base endpoint (GET /v2/ names no resource). */
export function challengeScope(need: Need): string | undefined {
  if (need.kind === "base") return undefined;
  if (need.kind === "catalog") return "registry:catalog:*";
  return `repository:${need.repository}:${challengeActions(need).join(",")}`;
}

/** The `detail` of the UNAUTHORIZED body: one entry per action, as distribution writes it. */
export function challengeDetail(need: Need): { Type: string; Name: string; Action: string }[] | undefined {
  if (need.kind === "base") return undefined;
  if (need.kind === "catalog") return [{ Type: "registry", Name: "catalog", Action: "*" }];
  return challengeActions(need).map((a) => ({ Type: "repository", Name: need.repository, Action: a }));
}
