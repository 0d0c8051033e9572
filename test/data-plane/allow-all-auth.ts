// Test doubles for RegistryAuth: one that allows everything (and records what each request
// needed, so tests can assert the route table's declarations), and one that denies a chosen
// action with the 401 challenge shape real registry auth sends.
import type { RegistryAuth, Need } from "../../src/data-plane/registry-auth-contract.js";
import type { HandlerResult } from "../../src/http/types.js";
import type { Principal, RegistryAction } from "../../src/auth/types.js";

export const TEST_PRINCIPAL: Principal = { kind: "servicePrincipal", id: "00000000-0000-0000-0000-0000000000aa", clientId: "test-client" };

export interface RecordingAuth extends RegistryAuth {
  /** Every need checked, in order. */
  checks: Need[];
  tokenCalls: number;
}

export function allowAllAuth(): RecordingAuth {
  const auth: RecordingAuth = {
    checks: [],
    tokenCalls: 0,
    async check(_ctx, _registry, need) {
      auth.checks.push(need);
      return { ok: true, principal: TEST_PRINCIPAL };
    },
    async handleTokenEndpoint(ctx) {
      auth.tokenCalls++;
      if (ctx.rawPath === "/oauth2/token") return { status: 200, body: { access_token: "test-token" } };
      return undefined;
    },
  };
  return auth;
}

export type Denial = RegistryAction | "catalog" | "base";

function denied(need: Need): HandlerResult {
  const scope = need.kind === "repository" ? `repository:${need.repository}:${need.actions.join(",")}` : need.kind === "catalog" ? "registry:catalog:*" : "";
  return {
    status: 401,
    headers: { "WWW-Authenticate": `Bearer realm="https://test/oauth2/token",service="test",scope="${scope}"` },
    body: { errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] },
  };
}

/** Allows everything except `action` (optionally only on one repository). */
export function denyingAuth(action: Denial, repository?: string): RecordingAuth {
  const auth = allowAllAuth();
  auth.check = async (_ctx, _registry, need) => {
    auth.checks.push(need);
    const hit =
      need.kind === "repository"
        ? need.actions.includes(action as RegistryAction) && (repository === undefined || need.repository === repository)
        : need.kind === action;
    return hit ? { ok: false, result: denied(need) } : { ok: true, principal: TEST_PRINCIPAL };
  };
  return auth;
}
