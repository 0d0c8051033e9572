// Token signing and verification: one ES256 key pair per data dir, created on first start and
// reused, for every JWT Cove issues (identity-provider access tokens, ACR refresh and access tokens).
//
//   <dataDir>/keys/            mode 0700
//     token-signing.jwk.json   mode 0600: the private JWK (with kid and alg)
//
// Every token carries `token_use` so that one kind can never be replayed as another (an ACR access
// token is not an identity-provider token, a refresh token is not an access token). Only ES256 is
// accepted on the way in: `alg: none`, HS256 with the public key as secret, and every other
// algorithm fail verification (jose checks the header against `algorithms`).

import { mkdir, readFile, writeFile, chmod } from "node:fs/promises";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, jwtVerify, type JWK, type JWTPayload } from "jose";

export type TokenUse = "aad_access" | "acr_refresh" | "acr_access";

const ALG = "ES256";
/** Tokens longer than this are refused before any parsing (a header is not a place for megabytes). */
export const MAX_TOKEN_LENGTH = 16 * 1024;
/** Clock skew tolerated on exp/nbf, in seconds. */
const CLOCK_TOLERANCE = 30;

export interface TokenClaims extends JWTPayload {
  token_use: TokenUse;
}

export interface VerifyExpectations {
  use: TokenUse;
  /** When given, `aud` must equal it (case-insensitive: login servers are host names). */
  audience?: string;
  /** Epoch seconds; tests pass it to check expiry without waiting. */
  now?: number;
}

export interface TokenKeys {
  readonly kid: string;
  /** The public key set, as served at the discovery `jwks_uri`. */
  jwks(): { keys: JWK[] };
  /** Signs `claims`, adding iat, nbf, exp (= now + ttlSeconds) and a random jti. */
  sign(claims: TokenClaims, ttlSeconds: number, now?: number): Promise<string>;
  /** Verified claims, or undefined for any invalid, expired, foreign or wrong-kind token. */
  verify(token: string, expect: VerifyExpectations): Promise<TokenClaims | undefined>;
}

/** The private JWK's place in the data dir. */
export const TOKEN_KEY_FILE = join("keys", "token-signing.jwk.json");

async function loadOrCreateJwk(dataDir: string): Promise<JWK> {
  const dir = join(dataDir, "keys");
  const file = join(dataDir, TOKEN_KEY_FILE);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    return JSON.parse(await readFile(file, "utf8")) as JWK;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const { privateKey } = await generateKeyPair(ALG, { extractable: true });
  const jwk = await exportJWK(privateKey);
  jwk.kid = await calculateJwkThumbprint(jwk);
  jwk.alg = ALG;
  jwk.use = "sig";
  try {
    // "wx": when two processes start together, exactly one key wins and both use it.
    await writeFile(file, JSON.stringify(jwk), { mode: 0o600, flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return JSON.parse(await readFile(file, "utf8")) as JWK;
    throw err;
  }
  await chmod(file, 0o600);
  return jwk;
}

export async function loadSigningKeys(dataDir: string): Promise<TokenKeys> {
  const jwk = await loadOrCreateJwk(dataDir);
  const kid = String(jwk.kid);
  const privateKey = await importJWK(jwk, ALG);
  const { d: _private, ...publicJwk } = jwk;
  const publicKey = await importJWK(publicJwk, ALG);

  return {
    kid,
    jwks: () => ({ keys: [{ ...publicJwk }] }),

    async sign(claims, ttlSeconds, now = Math.floor(Date.now() / 1000)) {
      return new SignJWT({ ...claims })
        .setProtectedHeader({ alg: ALG, typ: "JWT", kid })
        .setJti(typeof claims.jti === "string" ? claims.jti : randomUUID())
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(now + Math.max(1, Math.floor(ttlSeconds)))
        .sign(privateKey);
    },

    async verify(token, expect) {
      if (typeof token !== "string" || token.length === 0 || token.length > MAX_TOKEN_LENGTH) return undefined;
      try {
        const { payload } = await jwtVerify(token, publicKey, {
          algorithms: [ALG],
          clockTolerance: CLOCK_TOLERANCE,
          currentDate: expect.now !== undefined ? new Date(expect.now * 1000) : undefined,
          requiredClaims: ["exp", "iat"],
        });
        if (payload.token_use !== expect.use) return undefined;
        if (expect.audience !== undefined) {
          const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
          const want = expect.audience.toLowerCase();
          if (!aud.some((a) => typeof a === "string" && a.toLowerCase() === want)) return undefined;
        }
        return payload as TokenClaims;
      } catch {
        return undefined;
      }
    },
  };
}
