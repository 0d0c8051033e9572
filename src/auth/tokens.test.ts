import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, stat, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT, generateKeyPair, createLocalJWKSet, jwtVerify } from "jose";
import { loadSigningKeys } from "./tokens.js";

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), "cove-tokens-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");

test("the signing key is created once, private to the owner, and reused", () =>
  withDir(async (dir) => {
    const a = await loadSigningKeys(dir);
    const b = await loadSigningKeys(dir);
    assert.equal(a.kid, b.kid);
    const file = join(dir, "keys", "token-signing.jwk.json");
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, "keys"))).mode & 0o777, 0o700);
    const token = await a.sign({ token_use: "aad_access", aud: "x" }, 60);
    assert.ok(await b.verify(token, { use: "aad_access" }), "a token from before a restart still verifies");
    // The published key set holds no private part, and verifies the token independently (jose's own JWKS check).
    const jwks = a.jwks();
    assert.equal((jwks.keys[0] as any).d, undefined);
    assert.ok(JSON.parse(await readFile(file, "utf8")).d, "the key file does hold the private key");
    await jwtVerify(token, createLocalJWKSet(jwks));
  }));

test("verification refuses expired, not-yet-valid, wrong-kind, wrong-audience, tampered and foreign tokens", () =>
  withDir(async (dir) => {
    const keys = await loadSigningKeys(dir);
    const now = Math.floor(Date.now() / 1000);
    const good = await keys.sign({ token_use: "acr_access", aud: "MyReg.cove.test:8444" }, 600);
    assert.ok(await keys.verify(good, { use: "acr_access", audience: "myreg.cove.test:8444" }), "audience compares case-insensitively");
    assert.equal(await keys.verify(good, { use: "acr_access", audience: "other.cove.test:8444" }), undefined);
    assert.equal(await keys.verify(good, { use: "acr_refresh" }), undefined, "an access token is not a refresh token");
    assert.equal(await keys.verify(good, { use: "acr_access", now: now + 3600 }), undefined, "expired");

    const old = await keys.sign({ token_use: "acr_access" }, 60, now - 3600);
    assert.equal(await keys.verify(old, { use: "acr_access" }), undefined);
    const future = await keys.sign({ token_use: "acr_access" }, 60, now + 3600);
    assert.equal(await keys.verify(future, { use: "acr_access" }), undefined, "nbf in the future");

    const [h, p, s] = good.split(".");
    const payload = JSON.parse(Buffer.from(p!, "base64url").toString());
    const forged = `${h}.${b64({ ...payload, aud: "other" })}.${s}`;
    assert.equal(await keys.verify(forged, { use: "acr_access" }), undefined, "payload changed under the signature");
    assert.equal(await keys.verify(`${b64({ alg: "none", typ: "JWT" })}.${p}.`, { use: "acr_access" }), undefined, "alg none");
    const hs = await new SignJWT(payload).setProtectedHeader({ alg: "HS256" }).sign(Buffer.from(JSON.stringify(keys.jwks().keys[0])));
    assert.equal(await keys.verify(hs, { use: "acr_access" }), undefined, "HS256 keyed with the public key");
    const other = await generateKeyPair("ES256");
    const foreign = await new SignJWT(payload).setProtectedHeader({ alg: "ES256", kid: keys.kid }).sign(other.privateKey);
    assert.equal(await keys.verify(foreign, { use: "acr_access" }), undefined, "another key, same kid");
    for (const junk of ["", "garbage", "a.b.c", "x".repeat(20000), `${h}.${p}`]) {
      assert.equal(await keys.verify(junk, { use: "acr_access" }), undefined, `junk ${junk.slice(0, 10)}`);
    }
  }));
