// `npm run bench`: Cove against Debian's docker-registry (CNCF distribution 2.8) in ONE run, on the
// same machine, with the same client (skopeo) and the same image, so that only ratios are reported
// (reference/baselines.md). Not part of `npm test`. Writes docs/benchmarks.md.
//
// Both servers speak TLS with a certificate from a local CA; Cove runs with token auth on (Basic
// credentials exchanged for ACR tokens by skopeo, a bearer token for the manifest load), the peer
// without auth, as the baseline was measured.
import { execFile, type ChildProcess } from "node:child_process";
import { promisify } from "node:util";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runWithHosts } from "../test/support/hosts.js";
import { https, basic } from "../test/support/http.js";
import { peakRssMiB, startCoveRegistry, startPeerRegistry } from "./support/registry-servers.js";
import type { LoadResult } from "./load.js";

const exec = promisify(execFile);
const LAYERS_KIB = (process.env.BENCH_LAYERS_KIB ?? "1048576,262144").split(",").map(Number);
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 10);

async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const t0 = process.hrtime.bigint();
  const value = await fn();
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, value };
}

async function load(spec: object): Promise<LoadResult> {
  const { stdout } = await exec(process.execPath, ["dist/bench/load.js", JSON.stringify(spec)], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim());
}

async function main() {
  const work = await mkdtemp(join(tmpdir(), "cove-bench-"));
  const children: ChildProcess[] = [];
  try {
    console.error(`bench: writing a ${LAYERS_KIB.map((k) => k / 1024 + " MiB").join(" + ")} gzip-layer image`);
    const image = join(work, "image");
    await exec(process.execPath, ["scripts/make-oci-image.mjs", image, "v1", ...LAYERS_KIB.map(String)], { maxBuffer: 1 << 20 });

    // Peer: docker-registry over TLS; Cove as a separate process like the peer.
    const peerReg = await startPeerRegistry(work);
    const peer = peerReg.child;
    children.push(peer);
    const { port: peerPort, certDir: peerCerts } = peerReg;
    const ca = { certPem: peerReg.ca };
    const c = await startCoveRegistry(work, "cove");
    const { cove, registryPort: rport, registry: reg, certDir: coveCerts, creds, hosts, ca: coveCa } = c;
    children.push(cove.child);

    const skopeo = async (args: string[]) => {
      const r = await runWithHosts(hosts, "skopeo", args, { timeoutMs: 600_000 });
      if (r.code !== 0) throw new Error(`skopeo ${args.join(" ")}: ${r.stderr}`);
    };
    const results: Record<string, any> = { peer: {}, cove: {} };

    console.error("bench: push");
    results.peer.push = (await timed(() => skopeo(["copy", "--dest-cert-dir", peerCerts, `oci:${image}:v1`, `docker://127.0.0.1:${peerPort}/bench/big:v1`]))).seconds;
    results.peer.pushRss = await peakRssMiB(peer.pid!);
    results.cove.push = (await timed(() => skopeo(["copy", "--dest-cert-dir", coveCerts, "--dest-creds", creds, `oci:${image}:v1`, `docker://${reg.loginServer}/bench/big:v1`]))).seconds;
    results.cove.pushRss = await peakRssMiB(cove.child.pid!);

    console.error("bench: pull");
    results.peer.pull = (await timed(() => skopeo(["copy", "--src-cert-dir", peerCerts, `docker://127.0.0.1:${peerPort}/bench/big:v1`, `dir:${join(work, "pull-peer")}`]))).seconds;
    await rm(join(work, "pull-peer"), { recursive: true, force: true });
    results.cove.pull = (await timed(() => skopeo(["copy", "--src-cert-dir", coveCerts, "--src-creds", creds, `docker://${reg.loginServer}/bench/big:v1`, `dir:${join(work, "pull-cove")}`]))).seconds;
    await rm(join(work, "pull-cove"), { recursive: true, force: true });

    console.error("bench: manifest GET/HEAD at 32 connections");
    const accept = "application/vnd.oci.image.manifest.v1+json";
    const tokenRes = await https(`https://127.0.0.1:${rport}/oauth2/token?service=${encodeURIComponent(reg.loginServer)}&scope=${encodeURIComponent("repository:bench/big:pull")}`, {
      ca: coveCa, host: reg.loginServer, headers: { authorization: basic(cove.credentials.clientId, cove.credentials.clientSecret) },
    });
    if (tokenRes.status !== 200) throw new Error(`token: ${tokenRes.status} ${tokenRes.body}`);
    const token = tokenRes.json().access_token as string;
    for (const method of ["GET", "HEAD"] as const) {
      results.peer[method] = await load({ url: `https://127.0.0.1:${peerPort}/v2/bench/big/manifests/v1`, method, headers: { accept }, connections: 32, seconds: LOAD_SECONDS, ca: ca.certPem });
      results.cove[method] = await load({
        url: `https://127.0.0.1:${rport}/v2/bench/big/manifests/v1`, method, connections: 32, seconds: LOAD_SECONDS, ca: coveCa,
        servername: reg.loginServer.replace(/:\d+$/, ""), headers: { accept, host: reg.loginServer, authorization: `Bearer ${token}` },
      });
    }
    results.cove.finalRss = await peakRssMiB(cove.child.pid!);
    console.log(JSON.stringify(results, null, 2));
    await writeReport(results);
  } finally {
    for (const c of children) c.kill("SIGKILL");
    await rm(work, { recursive: true, force: true });
  }
}

async function writeReport(r: Record<string, any>) {
  const f = (n: number, d = 2) => n.toFixed(d);
  const ratio = (a: number, b: number) => f(a / b);
  const size = LAYERS_KIB.map((k) => `${k / 1024} MiB`).join(" + ");
  const row = (name: string, cove: string, peer: string, rat: string, target: string, met: boolean) =>
    `| ${name} | ${cove} | ${peer} | ${rat} | ${target} | ${met ? "met" : "**missed**"} |`;
  const lines = [
    "# Benchmarks",
    "",
    `Measured ${new Date().toISOString()} by \`npm run bench\` (bench/registry-bench.ts), Cove and Debian's`,
    "`docker-registry` 2.8 (CNCF distribution) **in the same run** on the same 2-core machine, both over TLS on",
    "loopback, both as separate processes. Client: Debian's skopeo for push/pull; bench/load.ts (Node, 32",
    "keep-alive connections, one process) for manifest load. Cove runs with token auth (skopeo logs in with",
    "Basic credentials and exchanges them for ACR tokens; the load sends a bearer token); the peer has no auth.",
    `Image: gzip layers of ${size} (scripts/make-oci-image.mjs), pushed as-is (no re-compression).`,
    "Ratios are Cove / peer for times and memory (lower is better) and Cove / peer for request rates.",
    "",
    "| workload | Cove | docker-registry | ratio | target | |",
    "| --- | --- | --- | --- | --- | --- |",
    row("skopeo push", `${f(r.cove.push)} s`, `${f(r.peer.push)} s`, ratio(r.cove.push, r.peer.push), "<= 1.0", r.cove.push / r.peer.push <= 1),
    row("skopeo pull to dir:", `${f(r.cove.pull)} s`, `${f(r.peer.pull)} s`, ratio(r.cove.pull, r.peer.pull), "<= 1.0", r.cove.pull / r.peer.pull <= 1),
    row("manifest GET by tag, 32 conns", `${f(r.cove.GET.perSecond, 0)} req/s (p50 ${f(r.cove.GET.p50ms, 1)} ms)`, `${f(r.peer.GET.perSecond, 0)} req/s (p50 ${f(r.peer.GET.p50ms, 1)} ms)`, ratio(r.cove.GET.perSecond, r.peer.GET.perSecond), ">= 2.0", r.cove.GET.perSecond / r.peer.GET.perSecond >= 2),
    row("manifest HEAD by tag, 32 conns", `${f(r.cove.HEAD.perSecond, 0)} req/s`, `${f(r.peer.HEAD.perSecond, 0)} req/s`, ratio(r.cove.HEAD.perSecond, r.peer.HEAD.perSecond), "-", true),
    row("peak RSS during push", `${f(r.cove.pushRss, 0)} MiB`, `${f(r.peer.pushRss, 0)} MiB`, ratio(r.cove.pushRss, r.peer.pushRss), "Cove <= 150 MiB", r.cove.pushRss <= 150),
    "",
    `Errors and non-2xx answers during the load: Cove GET ${r.cove.GET.errors}/${r.cove.GET.non2xx}, HEAD ${r.cove.HEAD.errors}/${r.cove.HEAD.non2xx};`,
    `peer GET ${r.peer.GET.errors}/${r.peer.GET.non2xx}, HEAD ${r.peer.HEAD.errors}/${r.peer.HEAD.non2xx}. p99: Cove GET ${f(r.cove.GET.p99ms, 1)} ms, peer GET ${f(r.peer.GET.p99ms, 1)} ms.`,
    "",
  ];
  const existing = await readFile("docs/benchmarks.md", "utf8").catch(() => "");
  const notes = existing.split("<!-- notes -->")[1];
  await writeFile("docs/benchmarks.md", lines.join("\n") + "<!-- notes -->" + (notes ?? "\n## Notes\n\n(none yet)\n"));
}

main().catch((e) => { console.error(e); process.exit(1); });
