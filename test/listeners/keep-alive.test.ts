// keepAliveTimeoutSeconds: an idle keep-alive connection is closed that long after its last answer,
// on the management and registry listeners; by default (30 s) it is still open seconds later.
// Real Cove, real TLS sockets on loopback.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { isIP } from "node:net";
import { connect } from "node:tls";
import { startCove, type TestCove } from "../support/cove.js";

const started: TestCove[] = [];
after(async () => { for (const c of started) await c.stop(); });

/**
 * One keep-alive GET on a fresh TLS connection to 127.0.0.1:`port`, then silence: resolves with the
 * ms from the answer's end to the server's close, or undefined if it is still open after `waitMs`.
 */
function idleAfterAnswer(cove: TestCove, port: number, path: string, host: string, waitMs: number): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port, ca: cove.ca, ...(isIP(host) ? {} : { servername: host }) });
    let answeredAt = 0;
    let text = "";
    const give = setTimeout(() => { s.destroy(); resolve(undefined); }, waitMs);
    s.on("secureConnect", () => s.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: keep-alive\r\n\r\n`));
    s.on("data", (d: Buffer) => {
      text += d.toString("latin1");
      if (!answeredAt && /\r\n\r\n/.test(text)) answeredAt = Date.now();
    });
    s.on("close", () => {
      clearTimeout(give);
      if (!answeredAt) reject(new Error(`closed before an answer: ${text.slice(0, 200)}`));
      else resolve(Date.now() - answeredAt);
    });
    s.on("error", () => { /* the close event reports */ });
  });
}

test("keepAliveTimeoutSeconds closes idle keep-alive connections after that long, on every listener", async () => {
  const cove = await startCove({ keepAliveTimeoutSeconds: "2" });
  started.push(cove);
  const mport = Number(new URL(cove.managementUrl).port);
  for (const [what, port, path, host] of [
    ["management", mport, "/healthz", "127.0.0.1"],
    ["registry (public)", cove.registryPort, "/v2/", "127.0.0.1"],
  ] as const) {
    const ms = await idleAfterAnswer(cove, port, path, host, 8000);
    assert.ok(ms !== undefined, `${what}: still open 8 s after the answer`);
    assert.ok(ms >= 1500 && ms <= 4500, `${what}: closed ${ms} ms after the answer, expected about 2,000`);
  }
});

test("by default an idle keep-alive connection stays open for seconds", async () => {
  const cove = await startCove();
  started.push(cove);
  const ms = await idleAfterAnswer(cove, Number(new URL(cove.managementUrl).port), "/healthz", "127.0.0.1", 4000);
  assert.equal(ms, undefined, `closed ${ms} ms after the answer; the default is 30 s`);
});

test("keepAliveTimeoutSeconds out of 1..3600 is a config error", async () => {
  for (const bad of ["0", "3601", "x"]) {
    await assert.rejects(startCove({ keepAliveTimeoutSeconds: bad }), /keepAliveTimeoutSeconds/, bad);
  }
});
