// `node dist/bench/decision-bench.js`: the cost of one network decision (issue 4 benchmark, target
// under 2 µs per call) with 200 private endpoints and a registry with 200 IP rules. The snapshot is
// built by buildSnapshot from the facts src/state/ reads out of a temporary store, in the ARM shapes
// the control plane writes, so locate/peered/endpointAt run on the real indexes. Prints one JSON line per
// client kind and the mix; `--json` prints only the summary object.
//
// Layout: 20 VNets 127.(20+v).0.0/16, each with an endpoint subnet .1.0/24 and a client subnet
// .2.0/24; VNet v is peered both ways with v+1; 10 endpoints per VNet (every 7th one Pending), one
// per registry slot over 10 Premium registries. Registry "rulesacr": defaultAction Deny, 200 ipRules
// (100 addresses, 100 /24s), public access Enabled; "lockedacr": public access Disabled.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStores } from "../src/storage/open.js";
import type { MetadataStore } from "../src/storage/types.js";
import { buildSnapshot, decide, type NetworkSnapshot, type Via } from "../src/network-policy/index.js";
import { readStateFacts } from "../src/state/index.js";

const CALLS = Number(process.env.BENCH_DECISIONS ?? 1_000_000);
const SUB = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/bench";
const NET = `${SUB}/providers/Microsoft.Network`;
const REG = (name: string) => `${SUB}/providers/Microsoft.ContainerRegistry/registries/${name}`;

async function put(meta: MetadataStore, id: string, type: string, body: Record<string, unknown>) {
  await meta.putResource({ id, type, body: { id, name: id.split("/").pop(), type, ...body } });
}

async function seed(meta: MetadataStore): Promise<void> {
  const registries = Array.from({ length: 10 }, (_, i) => `benchacr${i}`);
  for (const name of registries) {
    await put(meta, REG(name), "Microsoft.ContainerRegistry/registries", { location: "westeurope", sku: { name: "Premium" }, properties: { publicNetworkAccess: "Enabled", dataEndpointEnabled: true } });
  }
  const ipRules = [
    ...Array.from({ length: 100 }, (_, i) => ({ action: "Allow", value: `127.100.${i}.7` })),
    ...Array.from({ length: 100 }, (_, i) => ({ action: "Allow", value: `127.101.${i}.0/24` })),
  ];
  await put(meta, REG("rulesacr"), "Microsoft.ContainerRegistry/registries", { location: "westeurope", properties: { publicNetworkAccess: "Enabled", networkRuleSet: { defaultAction: "Deny", ipRules } } });
  await put(meta, REG("lockedacr"), "Microsoft.ContainerRegistry/registries", { location: "westeurope", properties: { publicNetworkAccess: "Disabled", networkRuleSet: { defaultAction: "Allow", ipRules: [] } } });

  for (let v = 0; v < 20; v++) {
    const vnet = `${NET}/virtualNetworks/vnet${v}`;
    await put(meta, vnet, "Microsoft.Network/virtualNetworks", { location: "westeurope", properties: { addressSpace: { addressPrefixes: [`127.${20 + v}.0.0/16`] } } });
    await put(meta, `${vnet}/subnets/pe`, "Microsoft.Network/virtualNetworks/subnets", { properties: { addressPrefix: `127.${20 + v}.1.0/24` } });
    await put(meta, `${vnet}/subnets/clients`, "Microsoft.Network/virtualNetworks/subnets", { properties: { addressPrefix: `127.${20 + v}.2.0/24` } });
    if (v < 19) {
      const next = `${NET}/virtualNetworks/vnet${v + 1}`;
      await put(meta, `${vnet}/virtualNetworkPeerings/to-next`, "Microsoft.Network/virtualNetworks/virtualNetworkPeerings", { properties: { peeringState: "Connected", remoteVirtualNetwork: { id: next } } });
      await put(meta, `${next}/virtualNetworkPeerings/to-prev`, "Microsoft.Network/virtualNetworks/virtualNetworkPeerings", { properties: { peeringState: "Connected", remoteVirtualNetwork: { id: vnet } } });
    }
    for (let e = 0; e < 10; e++) {
      const n = v * 10 + e;
      const registry = REG(registries[e]!);
      const pe = `${NET}/privateEndpoints/pe${n}`;
      const nic = `${NET}/networkInterfaces/pe${n}.nic`;
      const ips = [`127.${20 + v}.1.${4 + 2 * e}`, `127.${20 + v}.1.${5 + 2 * e}`];
      const members = ["registry", "registry_data_westeurope"];
      await put(meta, nic, "Microsoft.Network/networkInterfaces", {
        properties: {
          privateEndpoint: { id: pe },
          ipConfigurations: members.map((m, i) => ({
            id: `${nic}/ipConfigurations/c${i}`, name: `c${i}`,
            properties: { privateIPAddress: ips[i], subnet: { id: `${vnet}/subnets/pe` }, privateLinkConnectionProperties: { groupId: "registry", requiredMemberName: m, fqdns: [] } },
          })),
        },
      });
      const status = n % 7 === 3 ? "Pending" : "Approved";
      await put(meta, pe, "Microsoft.Network/privateEndpoints", {
        location: "westeurope",
        properties: { subnet: { id: `${vnet}/subnets/pe` }, networkInterfaces: [{ id: nic }], privateLinkServiceConnections: [{ name: "c", properties: { privateLinkServiceId: registry } }] },
      });
      await put(meta, `${registry}/privateEndpointConnections/pec${n}`, "Microsoft.ContainerRegistry/registries/privateEndpointConnections", {
        properties: { privateEndpoint: { id: pe }, privateLinkServiceConnectionState: { status, description: "", actionsRequired: "None" } },
      });
    }
  }
}

interface Case {
  kind: string;
  via: Via;
  client: string;
  registry?: string;
}

function cases(snap: NetworkSnapshot): Case[] {
  const key = (name: string) => snap.registryByName(name)!.key;
  const out: Case[] = [];
  for (let i = 0; i < 100; i++) {
    const v = i % 20;
    const e = (i * 3) % 10;
    const ep = `127.${20 + v}.1.${4 + 2 * e}`;
    const reg = key(`benchacr${e}`);
    out.push(
      { kind: "public, rule matches (address)", via: { kind: "public", address: "127.0.0.1" }, client: `127.100.${i}.7`, registry: key("rulesacr") },
      { kind: "public, rule matches (CIDR)", via: { kind: "public", address: "127.0.0.1" }, client: `127.101.${99 - i}.200`, registry: key("rulesacr") },
      { kind: "public, no rule matches", via: { kind: "public", address: "127.0.0.1" }, client: `127.102.${i}.1`, registry: key("rulesacr") },
      { kind: "public, access disabled", via: { kind: "public", address: "127.0.0.1" }, client: "127.0.0.1", registry: key("lockedacr") },
      { kind: "public, defaultAction Allow", via: { kind: "public", address: "127.0.0.1" }, client: "127.0.0.1", registry: reg },
      { kind: "private, own VNet", via: { kind: "private", address: ep }, client: `127.${20 + v}.2.${10 + i}`, registry: reg },
      { kind: "private, peered VNet", via: { kind: "private", address: ep }, client: `127.${20 + ((v + 1) % 20)}.2.9`, registry: reg },
      { kind: "private, unreachable", via: { kind: "private", address: ep }, client: `127.${20 + ((v + 5) % 20)}.2.9`, registry: reg },
      { kind: "private, another registry", via: { kind: "private", address: ep }, client: `127.${20 + v}.2.9`, registry: key(`benchacr${(e + 1) % 10}`) },
      { kind: "private, from the internet", via: { kind: "private", address: ep }, client: "127.0.0.1", registry: reg },
    );
  }
  return out;
}

function time(snap: NetworkSnapshot, list: Case[], calls: number): number {
  let sink = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) {
    const c = list[i % list.length]!;
    if (decide(snap, c.via, c.client, c.registry).allow) sink++;
  }
  const ns = Number(process.hrtime.bigint() - t0);
  if (sink < 0) console.log(sink); // keeps the loop observable
  return ns / calls;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "cove-decision-bench-"));
  const { meta, blobs } = await openStores(dir);
  try {
    await seed(meta);
    const snap = buildSnapshot((await readStateFacts(meta, "cove.test")).network, { suffix: "cove.test", publicAddress: "127.0.0.1" });
    const endpoints = new Set(snap.endpointAddresses().map((e) => e.endpointId)).size;
    const rules = snap.registryByName("rulesacr")!.ipRules.length;
    if (endpoints !== 200 || rules !== 200) throw new Error(`seed: ${endpoints} endpoints, ${rules} rules`);
    const all = cases(snap);
    time(snap, all, Math.min(CALLS, 200_000)); // warm-up: JIT and the compiled rule lists
    const mix = time(snap, all, CALLS);
    const byKind = [...new Set(all.map((c) => c.kind))].map((kind) => {
      const sel = all.filter((c) => c.kind === kind);
      const d = decide(snap, sel[0]!.via, sel[0]!.client, sel[0]!.registry);
      return { kind, decision: d.allow ? "allow" : d.reason, nsPerCall: Math.round(time(snap, sel, Math.max(1, Math.floor(CALLS / 10))) * 10) / 10 };
    });
    const summary = { endpoints, ipRules: rules, calls: CALLS, nsPerCall: Math.round(mix * 10) / 10, targetNs: 2000, node: process.version };
    if (process.argv.includes("--json")) {
      console.log(JSON.stringify(summary));
    } else {
      for (const k of byKind) console.log(JSON.stringify(k));
      console.log(JSON.stringify(summary));
    }
    if (mix >= 2000) process.exitCode = 1;
  } finally {
    await meta.close();
    await blobs.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
