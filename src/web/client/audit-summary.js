// One line per audit record for the Activity timeline (docs/audit.md lists each kind's fields): the
// fields a reader looks for first, in words. Unknown kinds fall back to their plain fields, so a
// new kind shows something useful before this file learns it.
import { nameOf } from "./ids.js";

export const KINDS = [
  "control-plane", "private-endpoint-connection", "policy.effect", "identity.token",
  "identity.servicePrincipal.create", "identity.servicePrincipal.delete", "identity.servicePrincipal.addSecret",
  "identity.servicePrincipal.removeSecret", "management.token", "registry.token", "registry.token-aggregate",
  "login-failed", "data-plane-denied", "data-plane-denied-summary",
];

/** Older records name their kind in `type` (docs/audit.md "Records from older versions"). */
export const kindOf = (e) => (e.kind && e.kind !== "auth" ? e.kind : e.type ?? e.kind ?? "unknown");

/** The principal a record names, as its object id (or a client IP for anonymous refusals). */
export const actorOf = (e) => e.actor ?? e.actorId ?? e.principalId ?? e.clientId ?? e.username ?? e.clientIp ?? "";

const res = (id) => (id ? nameOf(id) : "");

export function summaryOf(e) {
  switch (kindOf(e)) {
    case "control-plane":
      return `${e.action} ${res(e.resourceId)} -> ${e.status}${e.cause ? ` (by ${res(e.cause)})` : ""}`;
    case "private-endpoint-connection":
      return `${e.action} ${res(e.resourceId)}: ${e.from ?? "new"} -> ${e.to}${e.description ? ` (${e.description})` : ""}`;
    case "policy.effect":
      return `${e.outcome} by ${res(e.policyAssignmentId)} (${e.effect}) on ${res(e.resourceId)}`;
    case "registry.token-aggregate":
      return `${e.count} tokens on ${res(e.registry)} from ${(e.clients ?? []).map((c) => `${c.clientIp} (${c.path})`).join(", ")}`;
    case "data-plane-denied":
      return `${e.status ?? ""} ${e.reason ?? ""} ${e.clientIp ?? ""} ${e.method ?? ""} ${e.path ?? ""}`.replace(/\s+/g, " ").trim();
    case "login-failed":
      return `${e.count} failed logins as ${e.username} from ${e.clientIp}`;
    case "identity.token":
      return `token ${e.outcome} for ${e.clientId}${e.reason ? ` (${e.reason})` : ""}`;
    default: {
      const skip = new Set(["kind", "type", "actor", "actorId", "requestId"]);
      return Object.entries(e).filter(([k, v]) => !skip.has(k) && v !== null && typeof v !== "object").map(([k, v]) => `${k} ${v}`).join(", ");
    }
  }
}
