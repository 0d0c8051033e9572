// The shapes every control-plane handler shares: its dependencies, the call it receives and the
// value it returns. Handlers return values and throw catalogued errors (errors.ts); index.ts writes
// status, headers and the ARM error body.

import type { Logger } from "pino";
import type { HandlerResult, RequestContext } from "../../http/types.js";
import type { Principal, AccessControl } from "../../auth/types.js";
import type { MetadataStore } from "../../storage/types.js";

export interface ManagementApiDeps {
  meta: MetadataStore;
  access: AccessControl;
  log: Logger;
  tenantId: string;
  subscriptionId: string;
  loginServerSuffix: string;
  registryPort: number;
  /**
   * Resolves once the state view (src/state/) includes every write committed so far and its
   * subscribers (private listeners, data-endpoint certificates) have followed. The front door awaits
   * it after every audited write, before the answer is sent, so a client that saw the ARM answer
   * already meets the new state on the wire. Handlers never say what they changed: the store's
   * change feed tells the view (storage/types.ts ChangeFeed).
   */
  caughtUp?: () => Promise<unknown>;
  /**
   * The registry listener's status on one private endpoint IP, shown on the endpoint as the Cove
   * extension `properties.listenerStatus` (docs/private-networking.md). main.ts passes it in from
   * the listeners, so the control plane never imports src/http. Absent: the property is left out.
   */
  listenerStatus?: (ip: string) => ListenerStatus;
  /**
   * Writes the audit records still held in memory (the current minute's routine token counts,
   * audit/token-aggregate.ts) before a handler reads the log itself, as GET /cove/audit does first
   * (publicAccessReadiness). main.ts passes the token aggregator's flush("read"); absent, a handler
   * sees the records written so far.
   */
  flushAudit?: () => Promise<void>;
  /** Display name returned for the subscription (az needs one). Default "cove-local". */
  subscriptionDisplayName?: string;
  /**
   * Path of the AAD authority on the management endpoint, used in `/metadata/endpoints` and the
   * 401 challenge. Default "/adfs" (reference/az-cli.md 3.1: the only authority az 2.45 uses without
   * contacting login.microsoftonline.com).
   */
  authorityPath?: string;
  /** Set by the front door for its handlers (InternalApi); absent in what callers pass in. */
  internal?: InternalApi;
}

/**
 * The front door, for work Cove does itself on a principal's behalf (policy remediation runs as the
 * assignment's identity; a compliance scan writes state records): requests through the whole
 * pipeline, and a turn in the section that serialises writes.
 */
export interface InternalApi {
  /** A request as `ctx.principal`, answered as a client's: route, api-version, permission, body, policy gate, serialised write, audit. */
  invoke(ctx: RequestContext): Promise<HandlerResult>;
  /**
   * Runs `fn` alone, after the writes queued so far, with the store itself (never a handler's write
   * buffer). `fn` must not invoke an audited route: that request would wait for `fn` to end.
   */
  exclusively<T>(fn: (deps: ManagementApiDeps) => Promise<T>): Promise<T>;
}

/** Listening, Failed (the bind error, and how to fix it) or Pending (not tried yet). */
export interface ListenerStatus {
  state: "Listening" | "Failed" | "Pending";
  error?: string;
  hint?: string;
}

export interface ArmCall {
  ctx: RequestContext;
  deps: ManagementApiDeps;
  /** Path parameters, percent-decoded, case preserved. `scope` for Microsoft.Authorization routes. */
  params: Record<string, string>;
  principal: Principal;
  apiVersion: string;
  /** Parsed JSON body for routes that declare `body: true` (an object; validated by the handler). */
  body?: Record<string, unknown>;
}

export interface ArmResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type ArmHandler = (call: ArmCall) => Promise<ArmResult>;
