// observeLive against a real Cove (one per file) and a landing zone built through the API: real
// sockets from each client's source address, asking Cove's DNS from there, as a machine in that
// subnet would. Each case is what an operator checks: the answer the client got, how the connection
// ended, what /v2/ answered, and which rights the token carries.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { observeLive, type LiveOptions } from "../../src/cli/toolkit/live/observe.js";
import { assignRole, createServicePrincipal, ROLE } from "../support/arm.js";
import { client, ISLAND, LONE, liveZone, SPOKE, type LiveZone } from "./live-zone.js";

let z: LiveZone;
before(async () => { z = await liveZone(); });
after(async () => { await z?.close(); });

function opts(over: Partial<LiveOptions> = {}): LiveOptions {
  return {
    host: "liveacr.cove.test", port: z.port, dataHost: "liveacr.westeurope.data.cove.test", dnsServer: z.dns, ca: z.ca,
    login: { kind: "aad", credential: z.credential, tenantId: z.cli.cove.credentials.tenantId }, push: false, ...over,
  };
}

const results = (steps: { name: string; result: string }[]) => Object.fromEntries(steps.map((s) => [s.name, s.result]));

test("from a linked, peered subnet: the endpoint's address, a working TLS path, the 401 challenge, login and a pull token", async () => {
  const r = await observeLive(opts({ source: client(SPOKE) }));
  assert.deepEqual(results(r.steps), { resolve: "ok", "resolve-data": "ok", connect: "ok", tls: "ok", challenge: "ok", login: "ok", token: "ok", pull: "ok" }, JSON.stringify(r.steps, null, 1));
  const o = r.observation;
  assert.equal(r.source, client(SPOKE));
  assert.equal(o.source, client(SPOKE));
  assert.deepEqual(o.dns.kind === "address" && o.dns.ips, [z.hubIp]);
  assert.ok(o.dns.kind === "address" && o.dns.chain[0] === "liveacr.cove.test CNAME liveacr.privatelink.cove.test", JSON.stringify(o.dns));
  assert.equal(o.dataDns?.kind, "address");
  assert.notEqual(o.dataDns?.kind === "address" && o.dataDns.ips[0], z.hubIp, "the data endpoint has its own address");
  assert.deepEqual(o.transport, { kind: "ok" });
  assert.equal(o.challenge?.status, 401);
  assert.equal(r.challenge?.realm, `https://liveacr.cove.test:${z.port}/oauth2/token`);
  assert.equal(o.login?.status, 200);
  assert.equal(o.token?.status, 200);
  assert.ok(o.token?.actions.includes("pull"), JSON.stringify(o.token));
  assert.ok(r.steps.every((s) => s.ms >= 0 && s.ms < 3000));
});

test("from an unlinked VNet with public access disabled: the public answer and a 403 DENIED challenge", async () => {
  const r = await observeLive(opts({ source: client(LONE) }));
  const o = r.observation;
  assert.ok(o.dns.kind === "address" && o.dns.ips[0] === "127.0.0.1", JSON.stringify(o.dns));
  assert.deepEqual(o.transport, { kind: "ok" });
  assert.equal(o.challenge?.status, 403);
  assert.equal(o.challenge?.code, "DENIED");
  assert.match(o.challenge?.message ?? "", new RegExp(`client with IP '${client(LONE).replace(/\./g, "\\.")}' is not allowed access`));
  assert.equal(results(r.steps).challenge, "failed");
  assert.deepEqual(r.steps.filter((s) => s.result === "skipped").map((s) => s.name), ["login", "token", "pull"]);
  assert.equal(o.login, undefined, "nothing after the first failed step is tried");
});

test("from an unpeered VNet to an approved endpoint's IP: the connection is dropped", async () => {
  // Cove holds a refused private connection without answering (Azure's i/o timeout): a short deadline.
  const r = await observeLive(opts({ source: client(ISLAND), timeoutMs: 800 }));
  const o = r.observation;
  assert.deepEqual(o.dns.kind === "address" && o.dns.ips, [z.hubIp], "the linked zone answers the endpoint's address");
  assert.equal(o.transport?.kind, "dropped", JSON.stringify(r.steps, null, 1));
  assert.equal(results(r.steps).connect, "ok", "Cove accepts, then cuts during TLS");
  assert.equal(results(r.steps).tls, "failed");
  assert.match(r.steps.find((s) => s.name === "tls")!.detail, /i\/o timeout/);
  assert.equal(o.challenge, undefined);
});

test("a Pending endpoint: its address answers, the connection is dropped", async () => {
  const r = await observeLive(opts({ host: "pendacr.cove.test", dataHost: undefined, source: client(SPOKE), timeoutMs: 800 }));
  const o = r.observation;
  assert.deepEqual(o.dns.kind === "address" && o.dns.ips, [z.pendingIp]);
  assert.equal(o.transport?.kind, "dropped");
  assert.deepEqual(r.steps.map((s) => s.name), ["resolve", "connect", "tls", "challenge", "login", "token", "pull"]);
});

test("TLS: a privatelink name is a name mismatch; an unknown CA is an untrusted chain", async () => {
  const mismatch = await observeLive(opts({ host: "liveacr.privatelink.cove.test", dataHost: undefined, source: client(SPOKE) }));
  assert.equal(mismatch.observation.transport?.kind, "name-mismatch", JSON.stringify(mismatch.steps, null, 1));
  const untrusted = await observeLive(opts({ ca: undefined, source: client(SPOKE) }));
  assert.equal(untrusted.observation.transport?.kind, "untrusted", JSON.stringify(untrusted.steps, null, 1));
});

test("without a source the OS chooses one, and the result names it", async () => {
  const r = await observeLive(opts({ source: undefined, stopAfter: "challenge" }));
  assert.equal(r.source, "127.0.0.1");
  assert.equal(r.observation.source, "127.0.0.1");
  assert.equal(r.observation.challenge?.status, 403, "127.0.0.1 is in no VNet: the public endpoint, which is disabled");
  assert.deepEqual(r.steps.map((s) => s.name), ["resolve", "resolve-data", "connect", "tls", "challenge"]);
});

test("--push pushes the test artifact and deletes it again (the identity holds delete)", async () => {
  const r = await observeLive(opts({ source: client(SPOKE), push: true }));
  assert.deepEqual(results(r.steps), { resolve: "ok", "resolve-data": "ok", connect: "ok", tls: "ok", challenge: "ok", login: "ok", token: "ok", pull: "ok", push: "ok", delete: "ok" }, JSON.stringify(r.steps, null, 1));
  assert.deepEqual(r.observation.token?.actions.slice(0, 3), ["pull", "push", "delete"]);
  assert.equal(r.observation.content?.status, 202);
  const gone = await observeLive(opts({ source: client(SPOKE) }));
  assert.match(gone.steps.find((s) => s.name === "pull")!.detail, /holds nothing|no tags/, "the artifact was deleted");
});

test("AcrPush without AcrDelete (Basic login): delete is skipped naming AcrDelete, and the artifact left behind is pulled through the data endpoint", async () => {
  const sp = await createServicePrincipal(z.cli.cove, "live-pusher");
  await assignRole(z.cli.cove, z.registryId, sp.objectId, ROLE.AcrPush);
  const login = { kind: "basic" as const, username: sp.appId, password: sp.password };
  const r = await observeLive(opts({ source: client(SPOKE), push: true, login }));
  const del = r.steps.find((s) => s.name === "delete")!;
  assert.equal(results(r.steps).push, "ok", JSON.stringify(r.steps, null, 1));
  assert.equal(del.result, "skipped");
  assert.match(del.detail, /AcrDelete/);
  assert.deepEqual(r.observation.token?.actions, ["pull", "push"]);

  const pulled = await observeLive(opts({ source: client(SPOKE), login }));
  const detail = pulled.steps.find((s) => s.name === "pull")!.detail;
  assert.equal(results(pulled.steps).pull, "ok", detail);
  assert.match(detail, /manifest cove-preflight:preflight/);
  assert.match(detail, /via liveacr\.westeurope\.data\.cove\.test \(127\.44\.1\.\d+\)/, "the 307 was followed to the data endpoint's private address");
});

test("a wrong secret: the login step fails, the token is never asked for", async () => {
  const r = await observeLive(opts({ source: client(SPOKE), login: { kind: "basic", username: z.cli.cove.credentials.clientId, password: "not-the-secret" } }));
  assert.equal(results(r.steps).login, "failed");
  assert.equal(r.observation.login?.status, 401);
  assert.equal(r.observation.token, undefined);
});
