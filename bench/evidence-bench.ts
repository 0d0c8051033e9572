// `node dist/bench/evidence-bench.js [--rows N] [--write-docs]`: the evidence export's budget
// (issue 9 section 6): with 100k audit rows, `cove acr evidence export` takes under 10 s and the
// CLI's peak RSS stays under 200 MiB. Not part of `npm test`.
//
// A real Cove (in this process, as `cove serve` composes it) with a registry, a VNet, an approved
// endpoint and a linked zone; stopped, its log seeded through appendAudit (the one writer, so the
// chain and the checkpoints stay valid) and started again. The CLI is the real `cove` binary
// under /usr/bin/time -v (wall clock and maximum resident set size of that process). Two mixes:
//   pull-rate   what a busy registry's log holds at pull rate: 80 % token aggregates from 500
//               clients, 10 % denials from 300 addresses, 5 % writes on its resources, 5 % other
//               registries' rows (about 15 % end up in the excerpt by name, the rest as counts);
//   all-denials every row a denial of this registry from 65,536 addresses (a scan): all 100k in
//               the excerpt, and more clients than the summaries list one by one (the worst case).
// With --write-docs the "evidence" section of docs/benchmarks.md is rewritten.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import { NetworkManagementClient } from "@azure/arm-network";
import { PrivateDnsManagementClient } from "@azure/arm-privatedns";
import { start } from "../src/main.js";
import { openStores } from "../src/storage/open.js";
import { appendAudit } from "../src/audit/log.js";
import type { AuditEvent } from "../src/audit/event.js";
import { freePort } from "../test/support/cove.js";
import { clients } from "../test/support/arm.js";
import { replaceSection } from "./report-section.js";

const exec = promisify(execFile);
const args = process.argv.slice(2);
const ROWS = Number(args[args.indexOf("--rows") + 1] || 100_000) || 100_000;
/** `--mix pull-rate` runs one mix only; BENCH_NODE_FLAGS (e.g. "--trace-gc") go to the CLI's node. */
const MIXES = args.includes("--mix") ? [args[args.indexOf("--mix") + 1]!] : ["pull-rate", "all-denials"];
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? "").split(" ").filter(Boolean);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const RG = "bench-ev";
const REG = "benchevacr";

type Ports = { management: number; registry: number; dns: number };

async function cove(dataDir: string, ports: Ports) {
  return start({
    dataDir, managementListen: `127.0.0.1:${ports.management}`, registryPort: String(ports.registry),
    dnsListen: `127.0.0.1:${ports.dns}`, logLevel: "error", shutdownGraceSeconds: "2",
  }, {});
}

async function estate(running: Awaited<ReturnType<typeof cove>>): Promise<{ registryId: string; endpointId: string; endpointIp: string }> {
  const ca = await readFile(running.credentials.caCertPath, "utf8");
  const testCove = { credentials: running.credentials, ca, managementUrl: running.credentials.managementEndpoint } as any;
  const c = clients(testCove);
  const o = { endpoint: testCove.managementUrl, tlsOptions: { ca } } as any;
  const net = new NetworkManagementClient(c.cred, running.credentials.subscriptionId, o);
  const dns = new PrivateDnsManagementClient(c.cred, running.credentials.subscriptionId, o);
  await c.resources.resourceGroups.createOrUpdate(RG, { location: "westeurope" });
  const reg: any = await c.acr.registries.create(RG, REG, { location: "westeurope", sku: { name: "Premium" } } as any);
  const vnet = await net.virtualNetworks.beginCreateOrUpdateAndWait(RG, "hub", {
    location: "westeurope", addressSpace: { addressPrefixes: ["127.151.0.0/16"] }, subnets: [{ name: "pe", addressPrefix: "127.151.1.0/24" }],
  });
  const pe = await net.privateEndpoints.beginCreateOrUpdateAndWait(RG, "hub-pe", {
    location: "westeurope", subnet: { id: `${vnet.id}/subnets/pe` },
    privateLinkServiceConnections: [{ name: "hub", privateLinkServiceId: reg.id, groupIds: ["registry"] }],
  });
  const zone = await dns.privateZones.beginCreateOrUpdateAndWait(RG, "privatelink.cove.test", { location: "global" });
  await net.privateDnsZoneGroups.beginCreateOrUpdateAndWait(RG, "hub-pe", "default", { privateDnsZoneConfigs: [{ name: "z", privateDnsZoneId: zone.id }] });
  await dns.virtualNetworkLinks.beginCreateOrUpdateAndWait(RG, zone.name!, "hub-link", { location: "global", virtualNetwork: { id: vnet.id }, registrationEnabled: false });
  return { registryId: reg.id, endpointId: pe.id!.toLowerCase(), endpointIp: pe.customDnsConfigs![0]!.ipAddresses![0]! };
}

function row(i: number, mix: string, e: { registryId: string; endpointId: string; endpointIp: string }): AuditEvent {
  const t = new Date().toISOString();
  // pull-rate: 500 clients (agents, nodes) and 300 refused addresses; all-denials: a flood from 65,536 addresses.
  const client = `127.151.${((i % 500) >> 8) & 255}.${(i % 500) & 255}`;
  const source = mix === "all-denials" ? i % 65536 : i % 300;
  const denial: AuditEvent = {
    kind: "data-plane-denied", status: 403, effect: "forbidden", reason: "ip-not-allowed", rule: "networkRuleSet.defaultAction=Deny",
    via: "public:127.0.0.1", phase: "request", registry: e.registryId, host: `${REG}.cove.test`, method: "GET", path: "/v2/app/manifests/latest", clientIp: `203.0.${(source >> 8) & 255}.${source & 255}`, requestId: `r${i}`,
  };
  if (mix === "all-denials") return denial;
  const k = i % 20;
  if (k < 16) {
    const priv = k % 2 === 0;
    return {
      kind: "registry.token-aggregate", registry: k === 15 ? "/subscriptions/x/resourceGroups/y/providers/Microsoft.ContainerRegistry/registries/other" : e.registryId,
      principalKind: "servicePrincipal", principalId: `00000000-0000-4000-8000-${String(i % 10).padStart(12, "0")}`,
      from: t, to: t, firstAt: t, lastAt: t, count: 40, endpoints: { exchange: 10, token: 30 }, flush: "window",
      clients: [{ clientIp: client, count: 40, exchange: 10, token: 30, firstAt: t, lastAt: t, ...(priv ? { path: "private", endpointIp: e.endpointIp, endpointId: e.endpointId } : { path: "public" }) }],
    } as AuditEvent;
  }
  if (k < 18) return denial;
  if (k === 18) return { kind: "control-plane", action: "Microsoft.ContainerRegistry/registries/write", resourceId: e.registryId, actor: "bench", status: 200, requestId: `w${i}`, before: null, after: null };
  return { kind: "control-plane", action: "Microsoft.Network/virtualNetworks/write", resourceId: `/subscriptions/x/resourceGroups/other/providers/Microsoft.Network/virtualNetworks/v${i}`, actor: "bench", status: 200, requestId: `o${i}`, before: null, after: null };
}

interface Result { mix: string; rows: number; seconds: number; rssMiB: number; excerpt: number; evidenceMiB: number; manifestKiB: number }

async function measure(mix: string): Promise<Result> {
  const dataDir = await mkdtemp(join(tmpdir(), "cove-evidence-bench-"));
  const cfg = await mkdtemp(join(tmpdir(), "cove-evidence-bench-cli-"));
  const ports = { management: await freePort(), registry: await freePort(), dns: await freePort() };
  try {
    let running = await cove(dataDir, ports);
    const e = await estate(running);
    await running.stop();
    const { meta, blobs } = await openStores(dataDir);
    const seeded = Date.now();
    for (let i = 0; i < ROWS; i++) await appendAudit(meta, row(i, mix, e));
    await meta.close();
    await blobs.close();
    console.error(`${mix}: seeded ${ROWS} rows in ${((Date.now() - seeded) / 1000).toFixed(1)} s`);
    running = await cove(dataDir, ports);
    try {
      const env = { ...process.env, HOME: cfg, COVE_CONFIG_DIR: cfg };
      await exec(process.execPath, ["bin/cove.js", "login", "--from-data-dir", dataDir], { env });
      // Three exports of the same log: the median wall time and the highest peak RSS.
      const runs: { seconds: number; rss: number; printed: any; out: string }[] = [];
      for (let run = 0; run < RUNS; run++) {
        const out = join(cfg, `bundle-${run}`);
        const t0 = Date.now();
        const { stdout, stderr } = await exec("/usr/bin/time", ["-v", process.execPath, ...NODE_FLAGS, "bin/cove.js", "acr", "evidence", "export", "-n", REG, "--output-dir", out, "--since", "1d"], { env, maxBuffer: 1 << 24 });
        const seconds = (Date.now() - t0) / 1000;
        const rss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1] ?? NaN) / 1024;
        if (NODE_FLAGS.length) console.error(stderr);
        // --trace-gc and the like print to stdout too: the result is the JSON object at the end.
        const printed = JSON.parse(stdout.slice(stdout.search(/^\{$/m)).replace(/\n\}\n[\s\S]*$/, "\n}\n"));
        if (!printed.audit.verified) throw new Error("the seeded log did not verify");
        runs.push({ seconds, rss, printed, out });
      }
      const median = [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor(runs.length / 2)]!;
      return {
        mix, rows: ROWS, seconds: median.seconds, rssMiB: Math.max(...runs.map((r) => r.rss)), excerpt: median.printed.audit.records,
        evidenceMiB: (await stat(join(median.out, "evidence.json"))).size / 2 ** 20, manifestKiB: (await stat(join(median.out, "manifest.json"))).size / 1024,
      };
    } finally {
      await running.stop();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
    await rm(cfg, { recursive: true, force: true });
  }
}

async function main() {
  const results: Result[] = [];
  for (const mix of MIXES) {
    const r = await measure(mix);
    console.log(JSON.stringify(r));
    results.push(r);
  }
  const lines = [
    "## Evidence export",
    "",
    `\`node dist/bench/evidence-bench.js\`: \`cove acr evidence export\` (the real binary, under \`/usr/bin/time -v\`) against a real Cove whose audit log holds ${ROWS.toLocaleString("en")} rows, all in the window. Budget: under 10 s and a peak RSS under 200 MiB.`,
    "",
    `Each mix: ${RUNS} exports of the same log, the median wall time and the highest peak RSS; measured on ${os.cpus().length} cores at a load average of ${os.loadavg()[0]!.toFixed(1)}.`,
    "",
    "| mix | rows | wall (s) | peak RSS (MiB) | records in the excerpt | evidence.json (MiB) | manifest.json (KiB) |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...results.map((r) => `| ${r.mix} | ${r.rows} | ${r.seconds.toFixed(1)} | ${r.rssMiB.toFixed(0)} | ${r.excerpt} | ${r.evidenceMiB.toFixed(1)} | ${r.manifestKiB.toFixed(0)} |`),
  ];
  if (args.includes("--write-docs")) await replaceSection("docs/benchmarks.md", "evidence", lines);
  else console.log(lines.join("\n"));
}

main().catch((e) => { console.error(e); process.exit(1); });
