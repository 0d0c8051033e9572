// Step 6 of both token flows for a token that was issued: counted with the client's path (public,
// or which private endpoint) per principal, registry and minute (audit/token-aggregate.ts); without
// an aggregator wired (unit tests), one `registry.token` row as before.
import type { Principal } from "../../auth/types.js";
import type { AuditSink, RegistryTokenEvent } from "../../audit/event.js";
import type { TokenIssueSink } from "../../audit/token-aggregate.js";
import { viaOf } from "../../http/network-step.js";
import type { RegistryView } from "../../domain/registry.js";
import type { RequestContext } from "../../http/types.js";

export interface IssueAuditDeps {
  audit?: AuditSink;
  tokenIssues?: TokenIssueSink;
}

type Access = Extract<RegistryTokenEvent, { endpoint: "token" }>["access"];

export async function auditIssued(d: IssueAuditDeps, ctx: RequestContext, registry: RegistryView, principal: Principal, issued: { endpoint: "exchange" } | { endpoint: "token"; access: Access }): Promise<void> {
  const who = { registry: registry.id, principalKind: principal.kind, principalId: principal.id, clientIp: ctx.clientIp };
  if (d.tokenIssues) {
    const pulled = issued.endpoint === "token" ? issued.access.filter((a) => a.type === "repository" && a.actions.includes("pull")).map((a) => a.name) : [];
    d.tokenIssues({ endpoint: issued.endpoint, ...who, via: viaOf(ctx.listener, ctx.req?.socket), pulled });
    return;
  }
  await d.audit?.({ kind: "registry.token", outcome: "issued", ...issued, ...who, requestId: ctx.requestId });
}
