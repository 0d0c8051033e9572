// GET /metrics on the management listener. Azure Monitor has no unauthenticated metrics, and the
// management listener may be bound beyond loopback, so the same rule as the rest of the management
// endpoint applies: a bearer token from Cove's identity provider, and the principal holds
// `Microsoft.Insights/metrics/read` at the subscription (Azure's permission for reading metrics;
// Reader, Contributor and Owner hold it through `*/read` or `*`). Prometheus scrapes it with its
// `oauth2` client-credentials block pointed at Cove's token endpoint (docs/architecture.md).
import type { AccessControl } from "../auth/types.js";
import type { HandlerResult, RequestContext } from "../http/types.js";
import { armError } from "../control-plane/arm/errors.js";
import type { CoveMetrics } from "./metrics.js";

export const METRICS_PATH = "/metrics";
export const METRICS_READ_ACTION = "Microsoft.Insights/metrics/read";

export function createMetricsRoute(metrics: CoveMetrics, access: AccessControl, subscriptionId: string) {
  const scope = `/subscriptions/${subscriptionId}`;
  return async function metricsRoute(ctx: RequestContext): Promise<HandlerResult | undefined> {
    if (ctx.rawPath !== METRICS_PATH) return undefined;
    if (!ctx.principal) throw armError("AuthenticationFailed");
    if (ctx.method !== "GET" && ctx.method !== "HEAD") throw armError("MethodNotAllowed", { method: ctx.method });
    if (!(await access.authorize(ctx.principal, METRICS_READ_ACTION, scope))) {
      throw armError("AuthorizationFailed", { clientId: ctx.principal.clientId ?? ctx.principal.id, objectId: ctx.principal.id, action: METRICS_READ_ACTION, scope });
    }
    const { contentType, body } = await metrics.render();
    return { status: 200, headers: { "Content-Type": contentType, "Cache-Control": "no-store" }, body };
  };
}
