// Step 5 of the token flows: sign an ACR token with the identity provider's keys, and the token
// endpoints' 200 body. Both tokens are JWTs bound to one registry (`aud` = its login server) and
// one tenant; their `token_use` keeps a refresh token from being used as an access token and back.

import type { Principal } from "../../auth/types.js";
import type { RegistryView } from "../../domain/registry.js";
import type { HandlerResult } from "../../http/types.js";
import type { LocalIdentityProvider } from "../../identity/identity-provider.js";
import type { AccessEntry } from "./scopes.js";

/** ACR refresh tokens "expire after three hours" (container-registry JS SDK). */
export const REFRESH_TOKEN_TTL = 3 * 60 * 60;
/** Access tokens are short: rights are fixed at issue time, so this bounds how long a revoked role lingers. */
export const ACCESS_TOKEN_TTL = 20 * 60;

/** What signing needs of the identity provider: its keys, issuer and tenant. */
export type TokenSigner = Pick<LocalIdentityProvider, "keys" | "issuer" | "tenantId">;

export interface MintedAccessToken {
  token: string;
  expiresIn: number;
  /** Seconds since the epoch: the token's `iat`. */
  issuedAt: number;
}

/** An access token carrying `access`, the rights granted at this moment (they are not read again). */
export async function mintAccessToken(idp: TokenSigner, registry: RegistryView, principal: Principal, access: AccessEntry[], now = Math.floor(Date.now() / 1000)): Promise<MintedAccessToken> {
  const token = await idp.keys.sign(
    {
      token_use: "acr_access",
      iss: idp.issuer,
      aud: registry.loginServer,
      sub: principal.id,
      kind: principal.kind,
      appid: principal.clientId,
      tenant: idp.tenantId,
      access,
    },
    ACCESS_TOKEN_TTL,
    now,
  );
  return { token, expiresIn: ACCESS_TOKEN_TTL, issuedAt: now };
}

/** A refresh token: names the principal only; rights are read each time it is redeemed. */
export function mintRefreshToken(idp: TokenSigner, registry: RegistryView, principal: Principal): Promise<string> {
  return idp.keys.sign(
    {
      token_use: "acr_refresh",
      iss: idp.issuer,
      aud: registry.loginServer,
      sub: principal.id,
      kind: principal.kind,
      appid: principal.clientId,
      tenant: idp.tenantId,
      grant_type: "refresh_token",
    },
    REFRESH_TOKEN_TTL,
  );
}

/** 200 with a token: never cached by anything in between (RFC 6749 5.1). */
export function tokenResponse(body: Record<string, unknown>): HandlerResult {
  return { status: 200, headers: { "Cache-Control": "no-store", Pragma: "no-cache" }, body };
}

/** The body of an access token response, as ACR and the Docker token spec write it. */
export function accessTokenBody(m: MintedAccessToken): Record<string, unknown> {
  return { access_token: m.token, expires_in: m.expiresIn, issued_at: new Date(m.issuedAt * 1000).toISOString() };
}
