// The operator's rule: a Cove that cannot serve DNS does not start, and says why and how to fix it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { createServer } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { start } from "../../src/main.js";
import { freePort } from "../support/cove.js";

test("a DNS address already in use stops the start with a clear message, and no HTTP listener is left open", async () => {
  const squatter = createSocket("udp4");
  await new Promise<void>((ok) => squatter.bind(0, "127.0.0.1", () => ok()));
  const dnsPort = squatter.address().port;
  const dataDir = await mkdtemp(join(tmpdir(), "cove-dns-start-"));
  const mport = await freePort();
  try {
    await assert.rejects(
      start({ dataDir, managementListen: `127.0.0.1:${mport}`, registryPort: String(await freePort()), dnsListen: `127.0.0.1:${dnsPort}`, logLevel: "silent" }, {}),
      (e: Error) => e.message.includes(`cannot start the DNS server on 127.0.0.1:${dnsPort}`) && e.message.includes("EADDRINUSE") && e.message.includes("--dns-listen"),
    );
    // Nothing listens on the management port: the failure came before any listener.
    const probe = createServer();
    await new Promise<void>((ok, fail) => { probe.once("error", fail); probe.listen(mport, "127.0.0.1", () => ok()); });
    await new Promise<void>((ok) => probe.close(() => ok()));
  } finally {
    squatter.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});
