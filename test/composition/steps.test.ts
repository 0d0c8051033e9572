// main.ts's steps, each on its own: the Closers stack, and the first steps of a start (settings,
// storage, trust, identity) against a fresh data dir and again against the same one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSocket } from "node:dgram";
import { createServer } from "node:net";
import { pino } from "pino";
import { Closers, loadSettings, openIdentity, openStorage, openTrust, start } from "../../src/main.js";
import { freePort } from "../support/cove.js";

test("Closers closes last-opened first, and one that fails neither stops the others nor hides the failure", async () => {
  const lines: string[] = [];
  const log = pino({ level: "error" }, { write: (l: string) => { lines.push(l); } });
  const closed: string[] = [];
  const c = new Closers(log);
  c.push("a", () => { closed.push("a"); });
  c.push("b", async () => { closed.push("b"); throw new Error("b broke"); });
  c.push("c", async () => { closed.push("c"); });
  await c.closeAll();
  assert.deepEqual(closed, ["c", "b", "a"]);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /"what":"b"/);
  assert.match(lines[0]!, /b broke/);
  await c.closeAll();
  assert.deepEqual(closed, ["c", "b", "a"], "a closer runs once");
});

test("the first steps write credentials.json once (0600) and a second start reads the same back", async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "cove-steps-"));
  try {
    const flags = { dataDir, managementListen: "127.0.0.1:18443", logLevel: "silent" };
    const first = await (async () => {
      const s = await loadSettings(flags, {});
      const closers = new Closers(s.log);
      const st = await openStorage(s, closers);
      const trust = await openTrust(s);
      const id = await openIdentity(s, st, trust);
      await closers.closeAll();
      return { id, trust };
    })();
    const path = join(dataDir, "credentials.json");
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const stored = JSON.parse(await readFile(path, "utf8"));
    assert.deepEqual(stored, first.id.credentials);
    assert.equal(stored.managementEndpoint, "https://127.0.0.1:18443");
    assert.equal(stored.caCertPath, first.trust.caCertPath);
    assert.ok(first.trust.ca, "no operator certificate configured: Cove's own CA");

    const s = await loadSettings(flags, {});
    const closers = new Closers(s.log);
    const again = await openIdentity(s, await openStorage(s, closers), await openTrust(s));
    await closers.closeAll();
    assert.deepEqual(again.credentials, first.id.credentials, "a restart keeps the bootstrap principal");
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test("a start that fails late closes what it had opened: the DNS and management ports are free again", async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "cove-steps-fail-"));
  try {
    const mport = await freePort();
    const dport = await freePort();
    // The public registry listener cannot bind an address this host does not have: the start fails
    // late, after the stores, the state view, DNS and the management listener were open.
    const bad = { dataDir, managementListen: `127.0.0.1:${mport}`, registryPort: String(await freePort()), dnsListen: `127.0.0.1:${dport}`, publicAddress: "198.18.255.254", logLevel: "silent" };
    await assert.rejects(start(bad, {}), /EADDRNOTAVAIL/);
    await bindAndRelease(createServer(), mport);
    const udp = createSocket("udp4");
    await new Promise<void>((ok, fail) => { udp.once("error", fail); udp.bind(dport, "127.0.0.1", () => ok()); });
    udp.close();
    await bindAndRelease(createServer(), dport);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

async function bindAndRelease(server: ReturnType<typeof createServer>, port: number): Promise<void> {
  await new Promise<void>((ok, fail) => { server.once("error", fail); server.listen(port, "127.0.0.1", () => ok()); });
  await new Promise<void>((ok) => server.close(() => ok()));
}
