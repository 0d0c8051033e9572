// The clients of bench/fleet-bench.ts, the same for both servers:
//   pullBatch    N skopeo processes started together, each `skopeo copy docker://... dir:...` of the
//                same image (a fresh TLS connection, and for Cove its own token round trip, per
//                client, as N nodes scaling out each pull on their own); every copy is checked.
//   pushSmall    `skopeo copy oci:...:<tag> docker://...` for each tag, one after another.
//   pushBlob     a Node client's monolithic blob upload (POST, then PUT ?digest= with the bytes
//                streamed), then a HEAD that must answer the full size.
// Each skopeo runs under runWithHosts (a private mount namespace with the login server in its
// /etc/hosts), for the peer too, so both pay the same start-up.
import { mkdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { runWithHosts } from "../../test/support/hosts.js";
import { basic, https } from "../../test/support/http.js";
import type { GeneratedBlob } from "./fleet-images.js";

export interface FleetTarget {
  label: "cove" | "peer";
  pid: number;
  /** docker://<host:port>/<repo>:<tag> as skopeo names it. */
  ref(repo: string, tag: string): string;
  certDir: string;
  /** id:secret for skopeo (Cove); none for the peer, which runs without auth. */
  creds?: string;
  hosts: Record<string, string>;
  /** https://127.0.0.1:<port> */
  base: string;
  /** Host header and TLS name, when not the base's. */
  host?: string;
  ca: string;
  /** Basic credentials for /oauth2/token (Cove). */
  login?: { id: string; secret: string; service: string };
}

const now = () => Number(process.hrtime.bigint()) / 1e9;

async function skopeo(t: FleetTarget, args: string[], timeoutMs = 900_000): Promise<void> {
  const r = await runWithHosts(t.hosts, "skopeo", args, { timeoutMs });
  if (r.code !== 0) throw new Error(`skopeo (${t.label}) ${args.filter((a) => a !== t.creds).join(" ")}: exit ${r.code}: ${r.stderr.slice(-2000)}`);
}

export interface BatchResult {
  clients: number;
  /** First start to last exit, s. */
  wall: number;
  /** Each client's own start to exit, s, in client order. */
  times: number[];
  bytesEach: number;
}

/** N concurrent pulls of `ref` into `outDir`/c<i>; each copy must hold layers of `layerSizes`. */
export async function pullBatch(t: FleetTarget, n: number, ref: string, outDir: string, layerSizes: number[], bytesEach: number): Promise<BatchResult> {
  await mkdir(outDir, { recursive: true });
  const creds = t.creds ? ["--src-creds", t.creds] : [];
  try {
    const t0 = now();
    const times = await Promise.all(Array.from({ length: n }, async (_, i) => {
      const s = now();
      await skopeo(t, ["copy", "--src-cert-dir", t.certDir, ...creds, ref, `dir:${join(outDir, `c${i}`)}`]);
      return now() - s;
    }));
    const wall = now() - t0;
    for (let i = 0; i < n; i++) await checkCopy(join(outDir, `c${i}`), layerSizes, `${t.label} client ${i}`);
    return { clients: n, wall, times, bytesEach };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

/** skopeo's dir: copy names blobs by digest hex; the layers must be there at their sizes. */
async function checkCopy(dir: string, layerSizes: number[], who: string): Promise<void> {
  const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8"));
  const layers = manifest.layers as { digest: string; size: number }[];
  if (layers.length !== layerSizes.length) throw new Error(`${who}: ${layers.length} layers, expected ${layerSizes.length}`);
  for (const [k, l] of layers.entries()) {
    const size = (await stat(join(dir, l.digest.slice("sha256:".length)))).size;
    if (size !== layerSizes[k]) throw new Error(`${who}: layer ${k} is ${size} bytes, expected ${layerSizes[k]}`);
  }
}

/** Pushes each tag of `layout` to <repo>:<tag> one after another; returns the wall time, s. */
export async function pushSmall(t: FleetTarget, layout: string, tags: string[], repo: string): Promise<number> {
  const creds = t.creds ? ["--dest-creds", t.creds] : [];
  const t0 = now();
  for (const tag of tags) await skopeo(t, ["copy", "--dest-cert-dir", t.certDir, ...creds, `oci:${layout}:${tag}`, t.ref(repo, tag)], 120_000);
  return now() - t0;
}

/** A registry token for `scope` (Cove), or no Authorization at all (the peer). */
async function authFor(t: FleetTarget, scope: string): Promise<Record<string, string>> {
  if (!t.login) return {};
  const r = await https(`${t.base}/oauth2/token?service=${encodeURIComponent(t.login.service)}&scope=${encodeURIComponent(scope)}`, {
    ca: t.ca, host: t.host, headers: { authorization: basic(t.login.id, t.login.secret) },
  });
  if (r.status !== 200) throw new Error(`token (${t.label}): ${r.status} ${r.body.toString().slice(0, 300)}`);
  return { authorization: `Bearer ${r.json().access_token}` };
}

/** The blob's upload, from the token to the PUT's 201, s. The HEAD after it is not timed. */
export async function pushBlob(t: FleetTarget, repo: string, blob: GeneratedBlob, digest: string): Promise<number> {
  const t0 = now();
  const auth = await authFor(t, `repository:${repo}:push,pull`);
  const start = await https(`${t.base}/v2/${repo}/blobs/uploads/`, { ca: t.ca, host: t.host, method: "POST", headers: { ...auth, "content-length": "0" } });
  if (start.status !== 202) throw new Error(`upload start (${t.label}): ${start.status} ${start.body.toString().slice(0, 300)}`);
  const loc = new URL(String(start.headers.location), t.base);
  loc.searchParams.set("digest", digest);
  const put = await https(`${t.base}${loc.pathname}${loc.search}`, {
    ca: t.ca, host: t.host, method: "PUT", body: blob.stream(),
    headers: { ...auth, "content-type": "application/octet-stream", "content-length": String(blob.size) },
  });
  if (put.status !== 201) throw new Error(`upload of ${digest} (${t.label}): ${put.status} ${put.body.toString().slice(0, 300)}`);
  const seconds = now() - t0;
  const head = await https(`${t.base}/v2/${repo}/blobs/${digest}`, { ca: t.ca, host: t.host, method: "HEAD", headers: auth });
  if (head.status !== 200 || Number(head.headers["content-length"]) !== blob.size) {
    throw new Error(`HEAD of the pushed blob (${t.label}): ${head.status}, content-length ${head.headers["content-length"]}, expected ${blob.size}`);
  }
  return seconds;
}

/** The same client's PUT of the blob into the discard sink (bench/support/discard-sink.ts): seconds. */
export async function pushToSink(base: string, ca: string, blob: GeneratedBlob): Promise<number> {
  const t0 = now();
  const put = await https(`${base}/discard`, {
    ca, method: "PUT", body: blob.stream(),
    headers: { "content-type": "application/octet-stream", "content-length": String(blob.size) },
  });
  if (put.status !== 201 || Number(put.body.toString()) !== blob.size) {
    throw new Error(`the discard sink answered ${put.status} "${put.body.toString().slice(0, 100)}", expected 201 and ${blob.size}`);
  }
  return now() - t0;
}
