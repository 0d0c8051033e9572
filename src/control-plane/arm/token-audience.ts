// The management API's audience check, as ARM's front door: an identity-provider token minted for
// another resource (`scope=https://evil.example/.default`) is refused with 401
// InvalidAuthenticationTokenAudience naming the presented and the allowed audiences, and the refusal
// is audited (kind, presented aud, client IP, principal; never the token).
//
// It runs as the last unauthenticated management route (main.ts), because that is where the request
// context (client address, request id) is at hand; it answers nothing itself unless the audience
// is wrong. The pipeline's verifyToken checks the audience again, so a route order mistake cannot
// let a foreign token through: it would only lose the specific message.

import type { HandlerResult, RequestContext } from "../../http/types.js";
import type { LocalIdentityProvider } from "../../identity/identity-provider.js";
import type { AudienceSet } from "../../auth/audiences.js";
import { armError } from "./errors.js";
import type { AuditSink } from "../../audit/event.js";

export interface AudienceGuardOptions {
  audiences: AudienceSet;
  audit?: AuditSink;
}

function bearer(ctx: RequestContext): string | undefined {
  const h = ctx.headers.authorization;
  const m = typeof h === "string" ? /^Bearer\s+(\S{1,16384})\s*$/i.exec(h) : null;
  return m?.[1];
}

export function createAudienceGuard(idp: LocalIdentityProvider, opts: AudienceGuardOptions) {
  const allowed = opts.audiences.display.map((a) => `'${a}'`).join(",");
  return async function audienceGuard(ctx: RequestContext): Promise<HandlerResult | undefined> {
    const token = bearer(ctx);
    if (!token) return undefined;
    const r = await idp.checkAccessToken(token, opts.audiences);
    if (r.ok || r.reason !== "audience") return undefined; // invalid tokens get the front door's own 401
    await opts.audit?.({
      kind: "management.token", outcome: "denied", reason: "wrong-audience",
      audience: r.audience, principalId: r.principal.id, clientId: r.principal.clientId,
      clientIp: ctx.clientIp, requestId: ctx.requestId, method: ctx.method, path: ctx.rawPath,
    });
    throw Object.assign(armError("InvalidAuthenticationTokenAudience", { audience: r.audience, allowed }), {
      wwwAuthenticate: `Bearer error="invalid_token", error_description="The access token has been obtained for wrong audience or resource."`,
    });
  };
}
