// Idle connections under load: 10,000 raw TCP connections to the public registry listener and 500 to
// the management listener, none sending a byte, are opened and held, then released by the client,
// three rounds, against a `cove serve` child process. While they are held, new clients are served
// (a TLS /healthz on the management listener, a registry's /v2/ challenge and a manifest GET on the
// registry listener), every round. After each release Cove's file descriptors come back to where they
// were and, within a few seconds, its RSS (VmRSS, read from /proc; the test forces no collection) is
// within 20 % of its RSS at the start.
// Cove's handshake timeout is set past the rounds' length, so the client, not Cove, ends every
// connection: the test checks that none was closed while held. (The timeout itself, and a byte that
// never comes on every listener, are slowloris.test.ts.)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { readdirSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { spawnFuzzCove, type FuzzCove } from "../fuzz/support.js";
import { https } from "../support/http.js";
import { OCI_MANIFEST, pushImage, realRegistryOn, type RealRegistry } from "../data-plane/real-registry.js";

const REGISTRY_CONNECTIONS = 10_000;
const MANAGEMENT_CONNECTIONS = 500;
const ROUNDS = 3;
const RSS_SLACK = 0.2;
const RSS_WAIT_MS = 8000;
/** Client source addresses, a fresh set each round: a released connection's port stays in TIME_WAIT for 60 s. */
const sources = (round: number) => Array.from({ length: 10 }, (_, i) => `127.231.${round}.${i + 1}`);

let fc: FuzzCove;
let reg: RealRegistry;
let manifestDigest: string;
const held: Socket[] = [];

function openFilesLimit(pid: number | "self"): number {
  return Number(/^Max open files\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/limits`, "utf8"))?.[1] ?? 0);
}
const fds = () => readdirSync(`/proc/${fc.server.child.pid}/fd`).length;

before(async () => {
  fc = await spawnFuzzCove({ COVE_LOG_LEVEL: "warn", COVE_TLS_HANDSHAKE_TIMEOUT_SECONDS: "120" });
  const need = REGISTRY_CONNECTIONS + MANAGEMENT_CONNECTIONS + 500;
  // Node raises its soft limit to the hard one at start; both processes need room for every connection.
  for (const pid of ["self", fc.server.child.pid!] as const) {
    assert.ok(openFilesLimit(pid) >= need, `process ${pid} may open ${openFilesLimit(pid)} files, fewer than the ${need} this test holds: raise the hard limit (ulimit -Hn)`);
  }
  reg = await realRegistryOn(fc.cove, "idleacr");
  manifestDigest = (await pushImage(reg, "team/app", "v1")).digest;
});
after(async () => {
  for (const s of held) s.destroy();
  await fc?.stop();
});

/** Opens `count` connections to `port` from `from` in turn; resolves once every one is established. */
async function openIdle(port: number, count: number, from: string[]): Promise<number> {
  const connected: Promise<boolean>[] = [];
  for (let i = 0; i < count; i++) {
    const s = connect({ host: "127.0.0.1", port, localAddress: from[i % from.length] });
    s.on("error", () => undefined);
    connected.push(new Promise((ok) => { s.once("connect", () => ok(true)); s.once("error", () => ok(false)); }));
    held.push(s);
    if (i % 250 === 249) await sleep(5); // let the accept queue drain now and then
  }
  return (await Promise.all(connected)).filter(Boolean).length;
}

/** New clients while the idle ones are held: each request on a fresh TLS connection, each within 5 s. */
async function served(): Promise<string[]> {
  const timed = async (what: string, call: () => Promise<number>, want: number) => {
    const t0 = Date.now();
    const status = await Promise.race([call(), sleep(5000).then(() => -1)]);
    assert.equal(status, want, `${what} while the idle connections are held: ${status === -1 ? "no answer within 5 s" : status}`);
    return `${what} ${Date.now() - t0} ms`;
  };
  return [
    await timed("GET /healthz", async () => (await https(`${fc.cove.managementUrl}/healthz`, { ca: fc.cove.ca })).status, 200),
    await timed("GET /v2/", async () => (await https(`https://127.0.0.1:${fc.cove.registryPort}/v2/`, { ca: fc.cove.ca, host: reg.loginServer })).status, 401),
    await timed("manifest GET", async () => {
      const r = await reg.call("GET", "/v2/team/app/manifests/v1", { headers: { accept: OCI_MANIFEST } });
      assert.equal(r.headers["docker-content-digest"], manifestDigest);
      return r.status;
    }, 200),
  ];
}

async function settle(cond: () => boolean, ms: number): Promise<boolean> {
  for (const until = Date.now() + ms; Date.now() < until; await sleep(50)) if (cond()) return true;
  return cond();
}

test(`${ROUNDS} rounds of ${REGISTRY_CONNECTIONS} + ${MANAGEMENT_CONNECTIONS} idle connections held and released: served throughout, descriptors and RSS come back`, async () => {
  const managementPort = Number(new URL(fc.cove.managementUrl).port);
  await served(); // warm: the first TLS handshakes and token exchanges allocate what every later one reuses
  await sleep(500);
  const startFds = fds();
  const startRss = fc.rssMb();
  const rows: string[] = [`start: rss ${startRss} MB, ${startFds} fds`];
  for (let round = 1; round <= ROUNDS; round++) {
    const t0 = Date.now();
    const from = sources(round);
    const opened = await openIdle(fc.cove.registryPort, REGISTRY_CONNECTIONS, from) + await openIdle(managementPort, MANAGEMENT_CONNECTIONS, from);
    const total = REGISTRY_CONNECTIONS + MANAGEMENT_CONNECTIONS;
    assert.equal(opened, total, `round ${round}: only ${opened} of ${total} connections were established`);
    // Cove has accepted them all when it holds a descriptor for each (a few of its own may have closed meanwhile).
    assert.ok(await settle(() => fds() >= startFds + total - 5, 10_000), `round ${round}: Cove holds ${fds() - startFds} new descriptors, not ${total}`);
    const heldRss = fc.rssMb();
    const answers = await served();
    const openMs = Date.now() - t0;
    const closedEarly = held.filter((s) => s.readableEnded || s.closed).length;
    assert.equal(closedEarly, 0, `round ${round}: Cove closed ${closedEarly} connections while they were held`);

    const released = Date.now();
    for (const s of held.splice(0)) s.end();
    assert.ok(await settle(() => fds() <= startFds + 5, 15_000), `round ${round}: Cove still holds ${fds() - startFds} descriptors after the release`);
    const closedMs = Date.now() - released;
    // Cove collects once the wave has been gone a second (src/http/connection-waves.ts, at most one
    // collection every 5 s): the RSS comes back within RSS_WAIT_MS of the release, or it does not.
    const back = await settle(() => fc.rssMb() <= startRss * (1 + RSS_SLACK), RSS_WAIT_MS);
    const rss = fc.rssMb();
    rows.push(`round ${round}: held rss ${heldRss} MB (opened in ${openMs} ms; ${answers.join(", ")}); released: fds back in ${closedMs} ms, rss ${rss} MB after ${Date.now() - released} ms`);
    assert.ok(back, `round ${round}: RSS ${rss} MB ${RSS_WAIT_MS / 1000} s after the release is more than ${RSS_SLACK * 100} % over the start (${startRss} MB)\n${rows.join("\n")}`);
  }
  console.log(rows.map((r) => `# ${r}`).join("\n"));
});
