// Shared pieces of the fuzz suites (test/fuzz/*-fuzz.test.ts): deterministic inputs, a real
// `cove serve` child with its log captured, and the checks every suite runs when it is done.
//
//   SEED                       COVE_FUZZ_SEED, or a fixed default; printed by `fuzzer()`.
//   fuzzer(label)              a suite's generator: `.case(i)` is the Rng of case i alone (a pure
//                              function of SEED, label and i, so one case replays without the others),
//                              `.describe(i, input)` the failure text (seed, label, case, hex input).
//   Rng                        next() uint32, int(n) in [0, n), chance(p), pick(arr), bytes(n).
//   spawnFuzzCove(env)         `cove serve` on free loopback ports, JSON log captured at info;
//                              .cove is a TestCove for test/support/arm.ts, .rssMb() reads VmRSS,
//                              .cpuSeconds() the server's CPU time.
//   dataDirFingerprint(dir)    blobs/, uploads/, ca/, keys/ (names, sizes, key/CA hashes), top-level names.
//   armFingerprint(cove)       resource groups and resources of the subscription, through ARM GETs.
//   catalogFingerprint(reg)    repositories, tags and manifest digests through the data plane.
//   checkAfterSuite(fc, o)     /healthz 200 and the suite's own normal requests, RSS under the bound
//                              the suite states, fingerprints unchanged, no error-level log line
//                              (pino level >= 50) but the refusals the suite names; prints the numbers.
//   parseResponses(bytes, ..)  raw HTTP/1.1 answers read off a socket, checked for well-formedness.
//   clientHello(rng, name)     a TLS 1.3/1.2 ClientHello record built from the seed (to mutate).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { freePort, spawnCove, type SpawnedCove, type TestCove } from "../support/cove.js";
import { managementToken } from "../support/arm.js";
import { https } from "../support/http.js";
import type { RealRegistry } from "../data-plane/real-registry.js";

export const SEED = seedFrom(process.env.COVE_FUZZ_SEED);

function seedFrom(v: string | undefined): number {
  if (v === undefined || v === "") return 20250615;
  if (!/^\d{1,10}$/.test(v) || Number(v) > 0xffffffff) throw new Error(`COVE_FUZZ_SEED must be an integer from 0 to 4294967295, not ${JSON.stringify(v)}`);
  return Number(v);
}

/** mulberry32: small, fast, and the same on every machine. */
export class Rng {
  private s: number;
  constructor(seed: number) { this.s = seed >>> 0; }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  int(n: number): number { return n <= 1 ? 0 : this.next() % n; }
  chance(p: number): boolean { return this.next() / 0x1_0000_0000 < p; }
  pick<T>(arr: readonly T[]): T { return arr[this.int(arr.length)]!; }
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.next() & 0xff;
    return b;
  }
}

function mix(...parts: (number | string)[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) for (const c of String(p) + "\u0000") h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

export interface Fuzzer {
  label: string;
  case(i: number): Rng;
  describe(i: number, input: Buffer | string, max?: number): string;
}

export function fuzzer(label: string): Fuzzer {
  console.log(`# fuzz ${label}: seed ${SEED} (replay with COVE_FUZZ_SEED=${SEED})`);
  return {
    label,
    case: (i) => new Rng(mix(SEED, label, i)),
    describe: (i, input, max = 256) => formatInput(`${label} seed ${SEED} case ${i}`, input, max),
  };
}

/** `what`, the input's length and its first `max` bytes in hex (and as text when it is mostly text). */
export function formatInput(what: string, input: Buffer | string, max = 256): string {
  const b = Buffer.isBuffer(input) ? input : Buffer.from(input, "latin1");
  const head = b.subarray(0, max);
  const more = b.length > max ? ` ... (${b.length - max} more bytes)` : "";
  const printable = head.filter((c) => c >= 0x20 && c < 0x7f).length >= head.length * 0.8;
  const text = printable ? `\n  text: ${JSON.stringify(head.toString("latin1"))}${more}` : "";
  return `${what}: ${b.length} bytes\n  hex: ${head.toString("hex")}${more}${text}`;
}

export interface LogLine { level: number; msg?: string; [k: string]: unknown }

export interface FuzzCove {
  server: SpawnedCove;
  /** For test/support/arm.ts and test/data-plane/real-registry.ts (`stop` is the FuzzCove's). */
  cove: TestCove;
  dataDir: string;
  dnsPort: number;
  rssMb(): number;
  /** User + system CPU the server has used (/proc/<pid>/stat, 100 ticks a second). */
  cpuSeconds(): number;
  /** The captured output as pino JSON lines; anything else is kept as `{ level: 60, msg: <text> }`. */
  logLines(): LogLine[];
  stop(): Promise<void>;
}

export async function spawnFuzzCove(env: NodeJS.ProcessEnv = {}): Promise<FuzzCove> {
  const work = await mkdtemp(join(tmpdir(), "cove-fuzz-"));
  const dataDir = join(work, "data");
  const [mport, rport, dnsPort] = [await freePort(), await freePort(), await freePort()];
  const server = await spawnCove(dataDir, mport, rport, { COVE_LOG_LEVEL: "info", COVE_DNS_LISTEN: `127.0.0.1:${dnsPort}`, ...env }, true);
  const c = server.credentials;
  const stop = async () => {
    if (server.child.exitCode === null) server.child.kill("SIGTERM");
    await server.waitExit();
    await rm(work, { recursive: true, force: true });
  };
  const cove: TestCove = {
    dataDir, credentials: c, ca: await readFile(c.caCertPath, "utf8"), managementUrl: c.managementEndpoint,
    registryPort: rport, suffix: "cove.test", stop,
  };
  return {
    server, cove, dataDir, dnsPort, stop,
    rssMb() {
      const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${server.child.pid}/status`, "utf8"));
      assert.ok(m, "no VmRSS in /proc/<pid>/status");
      return Math.round(Number(m[1]) / 1024);
    },
    cpuSeconds() {
      const f = readFileSync(`/proc/${server.child.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      return (Number(f[11]) + Number(f[12])) / 100;
    },
    logLines: () => server.output().split("\n").filter((l) => l.trim() !== "").map((l): LogLine => {
      try { return JSON.parse(l) as LogLine; } catch { return { level: 60, msg: l }; }
    }),
  };
}

/** What a suite must not change; compared with deepEqual. */
export type Fingerprint = Record<string, unknown>;

async function listFiles(dir: string, root = dir): Promise<string[]> {
  let entries;
  try { entries = await readdir(dir, { withFileTypes: true }); } catch { return []; }
  const out: string[] = [];
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(`${relative(root, p)}/`, ...(await listFiles(p, root)));
    else out.push(relative(root, p));
  }
  return out.sort();
}

/**
 * The data dir's stored bytes: every blob and upload file with its size, the CA and key files with
 * their hashes, and the top-level names. The metadata database (cove.db*) and the audit checkpoints
 * (audit-checkpoints.jsonl, written on a timer) are left out: the audit log is written by design; the
 * metadata itself is compared through armFingerprint/catalogFingerprint.
 */
export async function dataDirFingerprint(dataDir: string): Promise<Fingerprint> {
  const top = (await readdir(dataDir)).filter((n) => !n.startsWith("cove.db") && n !== "audit-checkpoints.jsonl").sort();
  const sized = async (sub: string) => Promise.all((await listFiles(join(dataDir, sub))).map(async (f) =>
    f.endsWith("/") ? f : `${f} ${(await stat(join(dataDir, sub, f))).size}`));
  const hashed = async (sub: string) => Promise.all((await listFiles(join(dataDir, sub))).map(async (f) =>
    f.endsWith("/") ? f : `${f} ${createHash("sha256").update(await readFile(join(dataDir, sub, f))).digest("hex").slice(0, 16)}`));
  return { top, blobs: await sized("blobs"), uploads: await sized("uploads"), ca: await hashed("ca"), keys: await hashed("keys") };
}

/** The subscription's resource groups and resources, as ARM lists them to the bootstrap principal. */
export async function armFingerprint(cove: TestCove): Promise<Fingerprint> {
  const token = await managementToken(cove);
  const sub = `${cove.managementUrl}/subscriptions/${cove.credentials.subscriptionId}`;
  const list = async (path: string) => {
    const r = await https(`${sub}${path}?api-version=2021-04-01`, { ca: cove.ca, headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.status, 200, `GET ${path}: ${r.status} ${r.body}`);
    return (r.json().value as { id: string }[]).sort((a, b) => a.id.localeCompare(b.id));
  };
  return { resourceGroups: await list("/resourcegroups"), resources: await list("/resources") };
}

/** Repositories, their tags and each tag's manifest digest, through the registry's own API. */
export async function catalogFingerprint(reg: RealRegistry): Promise<Fingerprint> {
  const cat = await reg.call("GET", "/v2/_catalog");
  assert.equal(cat.status, 200, `catalog: ${cat.status} ${cat.body}`);
  const out: Fingerprint = {};
  for (const repo of (cat.json().repositories as string[]).sort()) {
    const tags = await reg.call("GET", `/v2/${repo}/tags/list`);
    assert.equal(tags.status, 200, `tags of ${repo}: ${tags.status}`);
    const byTag: Record<string, unknown> = {};
    for (const tag of ((tags.json().tags ?? []) as string[]).sort()) {
      const m = await reg.call("HEAD", `/v2/${repo}/manifests/${tag}`, { headers: { accept: "application/vnd.oci.image.manifest.v1+json" } });
      byTag[tag] = `${m.status} ${m.headers["docker-content-digest"]}`;
    }
    out[repo] = byTag;
  }
  return out;
}

export interface AfterSuite {
  /** The RSS at the suite's start (MB) and the bound the suite states for its end. */
  rssStartMb: number;
  rssLimitMb: number;
  /** Taken before the suite; `fingerprint()` again after it must equal it. */
  before: Fingerprint;
  fingerprint(): Promise<Fingerprint>;
  /** Normal requests that must still work (a DNS answer, a token login and a manifest GET...). */
  serving?(): Promise<void>;
  /** Error-level messages (`msg`) the suite accepts as catalogued refusals; ideally none. */
  allowedErrors?: readonly RegExp[];
}

export async function checkAfterSuite(fc: FuzzCove, o: AfterSuite): Promise<void> {
  assert.equal(fc.server.child.exitCode, null, `cove serve exited during the suite: ${fc.server.output().slice(-2000)}`);
  const health = await https(`${fc.cove.managementUrl}/healthz`, { ca: fc.cove.ca });
  assert.equal(health.status, 200, `/healthz after the suite: ${health.status} ${health.body}`);
  await o.serving?.();
  const end = fc.rssMb();
  console.log(`# RSS: ${o.rssStartMb} MB at the start, ${end} MB at the end (bound ${o.rssLimitMb} MB)`);
  assert.ok(end <= o.rssLimitMb, `RSS ${end} MB is over the suite's bound of ${o.rssLimitMb} MB (start ${o.rssStartMb} MB)`);
  assert.deepEqual(await o.fingerprint(), o.before, "the suite changed what it must not change");
  const allowed = o.allowedErrors ?? [];
  const lines = fc.logLines();
  const errors = lines.filter((l) => l.level >= 50 && !allowed.some((re) => re.test(String(l.msg ?? ""))));
  const byMsg = new Map<string, number>();
  for (const l of lines) byMsg.set(`${l.level} ${l.msg}`, (byMsg.get(`${l.level} ${l.msg}`) ?? 0) + 1);
  const top = [...byMsg].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, n]) => `${n} x "${k}"`).join(", ");
  console.log(`# log: ${lines.length} lines (level msg: ${top}); server CPU ${fc.cpuSeconds().toFixed(1)} s since its start`);
  assert.deepEqual(errors.slice(0, 5), [], `error-level log lines (${errors.length}) that are not catalogued refusals`);
}

export interface RawResponse { status: number; head: string }

/**
 * The HTTP/1.1 responses in `out`, read as a client would: status line and header syntax, 1xx interim
 * answers, bodies by Content-Length, chunked or (only when `closed`) to the end. `rest` is an answer
 * still arriving; `error` says what is malformed, or cut although the connection closed.
 */
export function parseResponses(out: Buffer, isHead: boolean, closed: boolean): { responses: RawResponse[]; rest: Buffer; error?: string } {
  const responses: RawResponse[] = [];
  let off = 0;
  const cut = (what: string) => ({ responses, rest: out.subarray(off), error: closed ? what : undefined });
  while (off < out.length) {
    const end = out.indexOf("\r\n\r\n", off, "latin1");
    if (end < 0) return cut(`a response head cut at the close: ${JSON.stringify(out.toString("latin1", off, off + 80))}`);
    const head = out.toString("latin1", off, end);
    const [line = "", ...fields] = head.split("\r\n");
    const m = /^HTTP\/1\.[01] (\d{3}) [^\r\n]*$/.exec(line);
    if (!m) return { responses, rest: out.subarray(off), error: `not a status line: ${JSON.stringify(line.slice(0, 80))}` };
    const bad = fields.find((f) => !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+:[ \t]*[^\r\n]*$/.test(f));
    if (bad !== undefined) return { responses, rest: out.subarray(off), error: `not a header line: ${JSON.stringify(bad.slice(0, 80))}` };
    const status = Number(m[1]);
    const header = (n: string) => fields.find((f) => f.toLowerCase().startsWith(n + ":"))?.slice(n.length + 1).trim();
    let bodyEnd = end + 4;
    if (status >= 200 && !isHead && status !== 204 && status !== 304) {
      if (/chunked/i.test(header("transfer-encoding") ?? "")) {
        for (;;) {
          const eol = out.indexOf("\r\n", bodyEnd, "latin1");
          if (eol < 0) return cut("a chunked body cut at the close");
          const size = parseInt(out.toString("latin1", bodyEnd, eol), 16);
          if (Number.isNaN(size)) return { responses, rest: out.subarray(off), error: "a bad chunk size in the answer" };
          bodyEnd = eol + 2 + size + 2;
          if (bodyEnd > out.length) return cut("a chunk cut at the close");
          if (size === 0) break;
        }
      } else if (header("content-length") !== undefined) {
        bodyEnd += Number(header("content-length"));
        if (bodyEnd > out.length) return cut("a body shorter than its Content-Length at the close");
      } else if (closed) bodyEnd = out.length;
      else return { responses, rest: out.subarray(off) };
    }
    responses.push({ status, head });
    off = bodyEnd;
  }
  return { responses, rest: out.subarray(off) };
}

/** A ClientHello record (TLS 1.3 with 1.2 fallback, x25519) whose random parts come from `r`. */
export function clientHello(r: Rng, servername: string): Buffer {
  const u16 = (n: number) => Buffer.from([n >> 8, n & 255]);
  const ext = (type: number, body: Buffer) => Buffer.concat([u16(type), u16(body.length), body]);
  const list16 = (items: number[]) => Buffer.concat([u16(items.length * 2), ...items.map(u16)]);
  const name = Buffer.from(servername);
  const exts = Buffer.concat([
    ext(0, Buffer.concat([u16(name.length + 3), Buffer.from([0]), u16(name.length), name])),
    ext(10, list16([0x001d, 0x0017])),
    ext(11, Buffer.from([1, 0])),
    ext(13, list16([0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601])),
    ext(43, Buffer.from([4, 3, 4, 3, 3])),
    ext(51, Buffer.concat([u16(36), u16(0x001d), u16(32), r.bytes(32)])),
    ext(45, Buffer.from([1, 1])),
  ]);
  const body = Buffer.concat([u16(0x0303), r.bytes(32), Buffer.from([32]), r.bytes(32), list16([0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030]), Buffer.from([1, 0]), u16(exts.length), exts]);
  const hs = Buffer.concat([Buffer.from([1, body.length >> 16, (body.length >> 8) & 255, body.length & 255]), body]);
  return Buffer.concat([Buffer.from([22, 3, 1]), u16(hs.length), hs]);
}
