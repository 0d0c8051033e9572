import { test } from "node:test";
import assert from "node:assert/strict";
import { connect, createServer, type Socket } from "node:net";
import { createDeniedConnections } from "./denied-connections.js";

// A server whose accepted sockets go to `onSocket`, and clients that report how they ended.
async function harness(onSocket: (s: Socket) => void) {
  const server = createServer(onSocket);
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const port = (server.address() as { port: number }).port;
  const client = (waitMs: number) => new Promise<"reset" | "closed" | "waiting">((ok) => {
    const c = connect(port, "127.0.0.1", () => c.write("hello"));
    c.resume();
    const t = setTimeout(() => { c.destroy(); ok("waiting"); }, waitMs);
    c.on("error", () => { clearTimeout(t); ok("reset"); });
    c.on("close", () => { clearTimeout(t); ok("closed"); });
  });
  return { client, close: () => new Promise<void>((ok) => server.close(() => ok())) };
}

test("reset mode closes at once", async () => {
  const denied = createDeniedConnections({ mode: "reset" });
  const h = await harness((s) => denied.deny(s));
  assert.equal(await h.client(1000), "reset");
  assert.equal(denied.size(), 0);
  await h.close();
});

test("drop mode holds without answering, up to `max`, each for at most `holdMs`", async () => {
  const denied = createDeniedConnections({ mode: "drop", max: 2, holdMs: 300 });
  const h = await harness((s) => denied.deny(s));
  const held = [h.client(1000), h.client(1000)];
  await new Promise((ok) => setTimeout(ok, 50));
  assert.equal(denied.size(), 2);
  assert.equal(await h.client(1000), "reset", "beyond max: reset at once");
  // After holdMs the held sockets are closed by the server (a held socket is never read, so a client
  // that gives up early still occupies its place until then: the bound is holdMs).
  assert.deepEqual(await Promise.all(held), ["closed", "closed"]);
  assert.equal(denied.size(), 0);
  await h.close();
});

test("recheck admits a held socket whose retry now succeeds, and cut closes the matching ones", async () => {
  const denied = createDeniedConnections({ mode: "drop" });
  let allow = false;
  const admitted: Socket[] = [];
  const h = await harness((s) => denied.deny(s, () => { if (!allow) return false; admitted.push(s); s.resume(); s.end("welcome"); return true; }));
  const first = h.client(2000);
  await new Promise((ok) => setTimeout(ok, 50));
  denied.recheck();
  assert.equal(denied.size(), 1, "still refused: still held");
  allow = true;
  denied.recheck();
  assert.equal(admitted.length, 1);
  assert.equal(denied.size(), 0);
  assert.equal(await first, "closed");
  allow = false;
  const second = h.client(2000);
  await new Promise((ok) => setTimeout(ok, 50));
  denied.cut(() => true);
  assert.equal(await second, "closed");
  denied.closeAll();
  await h.close();
});
