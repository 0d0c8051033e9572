// The landing zone of the --what-if tests, built with the real `cove` against a real Cove: a hub
// and two spokes, peered both ways with the hub (not with each other); two Premium registries whose
// endpoints sit in the hub's `pe` subnet, each with a zone group in ONE shared privatelink zone,
// linked to all three VNets (the shared zone of the cleanup case). Every subnet reaches
// both registries privately. A manual (Pending) endpoint in spoke/build cuts nothing when it goes.
//
//   hub    127.40.0.0/16  pe    127.40.1.0/24   pe-alpha -> lzalpha, pe-beta -> lzbeta
//   spoke  127.41.0.0/16  aks   127.41.1.0/24
//                         build 127.41.2.0/24   pe-wait -> lzalpha (Pending, no zone group)
//   spoke2 127.42.0.0/16  app   127.42.1.0/24
import assert from "node:assert/strict";
import { realCli, type CliRun, type RealCli } from "../cli/real-cli.js";
import { dig } from "../dns/dig.js";

export const G = ["-g", "rg-lz"];
export const REGISTRIES = ["lzalpha", "lzbeta"] as const;
/** Every subnet, as the report names its rows (vnet/subnet), with the address the model stands a client at. */
export const SUBNETS: Record<string, string> = {
  "hub/pe": "127.40.1.254",
  "spoke/aks": "127.41.1.254",
  "spoke/build": "127.41.2.254",
  "spoke2/app": "127.42.1.254",
};
export const LINKS: Record<string, string> = { "hub-link": "hub", "spoke-link": "spoke", "spoke2-link": "spoke2" };

export interface Zone {
  cli: RealCli;
  /** privatelink.<suffix> */
  zone: string;
  suffix: string;
  registryIds: Record<string, string>;
  /** The registry's login server, resolved from a source address with the real dig: the A answers, or the status. */
  resolve(source: string, registry: string, data?: boolean): Promise<string[] | string>;
  /** The NIC address of the endpoint's member `registry`. */
  endpointIp(endpoint: string, registry: string): Promise<string>;
  /** An endpoint in hub/pe (or `at`), with a zone group in the shared zone unless `manual`. */
  createEndpoint(name: string, registry: string, at?: { vnet: string; subnet: string; manual?: boolean }): Promise<void>;
  zoneGroup(endpoint: string): Promise<void>;
  link(name: string): Promise<void>;
}

export async function landingZone(): Promise<Zone> {
  const cli = await realCli();
  const suffix = cli.cove.suffix;
  const zone = `privatelink.${suffix}`;
  const dnsPort = Number(cli.cove.credentials.dnsAddress.split(":").pop());
  await cli.ok("group", "create", "-n", "rg-lz", "-l", "westeurope");
  // Independent writes run side by side (the server serialises them): the setup is most of the time.
  const registryIds: Record<string, string> = {};
  await Promise.all([
    ...REGISTRIES.map(async (r) => { registryIds[r] = (await cli.json("acr", "create", "-n", r, ...G, "--sku", "Premium")).id; }),
    cli.ok("network", "vnet", "create", "-n", "hub", ...G, "--address-prefixes", "127.40.0.0/16", "--subnet-name", "pe", "--subnet-prefixes", "127.40.1.0/24"),
    cli.ok("network", "vnet", "create", "-n", "spoke", ...G, "--address-prefixes", "127.41.0.0/16", "--subnet-name", "aks", "--subnet-prefixes", "127.41.1.0/24")
      .then(() => cli.ok("network", "vnet", "subnet", "create", "-n", "build", ...G, "--vnet-name", "spoke", "--address-prefixes", "127.41.2.0/24")),
    cli.ok("network", "vnet", "create", "-n", "spoke2", ...G, "--address-prefixes", "127.42.0.0/16", "--subnet-name", "app", "--subnet-prefixes", "127.42.1.0/24"),
    cli.ok("network", "private-dns", "zone", "create", ...G, "-n", zone),
  ]);
  await Promise.all([["hub", "spoke"], ["spoke", "hub"], ["hub", "spoke2"], ["spoke2", "hub"]].map(([a, b]) =>
    cli.ok("network", "vnet", "peering", "create", "-n", `${a}-to-${b}`, ...G, "--vnet-name", a!, "--remote-vnet", b!, "--allow-vnet-access")));
  const z: Zone = {
    cli, zone, suffix, registryIds,
    async resolve(source, registry, data = false) {
      const name = data ? `${registry}.westeurope.data.${suffix}` : `${registry}.${suffix}`;
      const r = await dig(dnsPort, source, name);
      const ips = r.answer.filter((x) => x[3] === "A").map((x) => x[4]!);
      return r.status === "NOERROR" && ips.length > 0 ? ips : r.status;
    },
    async endpointIp(endpoint, registry) {
      return cli.json("network", "private-endpoint", "show", "-n", endpoint, ...G, "--query", `customDnsConfigs[?fqdn=='${registry}.${suffix}'].ipAddresses[0] | [0]`);
    },
    async createEndpoint(name, registry, at = { vnet: "hub", subnet: "pe" }) {
      await cli.ok("network", "private-endpoint", "create", "-n", name, ...G, "--vnet-name", at.vnet, "--subnet", at.subnet,
        "--private-connection-resource-id", registryIds[registry]!, "--connection-name", `${name}-conn`, "--group-id", "registry",
        ...(at.manual ? ["--manual-request", "true"] : []));
      if (!at.manual) await z.zoneGroup(name);
    },
    async zoneGroup(endpoint) {
      await cli.ok("network", "private-endpoint", "dns-zone-group", "create", "--endpoint-name", endpoint, ...G, "-n", "default", "--private-dns-zone", zone, "--zone-name", "privatelink");
    },
    async link(name) {
      await cli.ok("network", "private-dns", "link", "vnet", "create", ...G, "-z", zone, "-n", name, "-v", LINKS[name]!, "-e", "false");
    },
  };
  await Promise.all(Object.keys(LINKS).map((name) => z.link(name)));
  // pe-alpha first, so it holds the hub subnet's lowest free addresses in every run.
  await z.createEndpoint("pe-alpha", "lzalpha");
  await Promise.all([z.createEndpoint("pe-beta", "lzbeta"), z.createEndpoint("pe-wait", "lzalpha", { vnet: "spoke", subnet: "build", manual: true })]);
  return z;
}

/** A --what-if run: exit 0, the JSON result. */
export async function whatIf(cli: RealCli, ...args: string[]): Promise<any> {
  const r = await cli.run(...args, "--what-if");
  assert.equal(r.code, 0, `${args.join(" ")} --what-if: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** The rows a what-if result cuts off, as "registry vnet/subnet CAUSE", sorted. */
export function cuts(result: any): string[] {
  const out: string[] = [];
  for (const reg of result.registries) {
    for (const c of reg.changes) if (c.before === "allow" && c.after === "deny") out.push(`${reg.name} ${c.vnet}/${c.subnet} ${c.afterReason}`);
  }
  return out.sort();
}

/** The cut-off warnings a command printed, in the same form; fails on any other WARNING line. */
export function warned(run: CliRun): string[] {
  const out: string[] = [];
  for (const line of run.stderr.split("\n").filter((l) => l.startsWith("WARNING: "))) {
    const m = /^WARNING: subnet (\S+) loses its private path to (\S+) \(now: ([A-Z_]+)\)$/.exec(line);
    assert.ok(m, `an unexpected warning: ${line}`);
    out.push(`${m[2]} ${m[1]} ${m[3]}`);
  }
  return out.sort();
}

/** Every subnet of `registry` cut with `cause`, in the form of cuts(). */
export function allSubnets(registry: string, cause: string, subnets = Object.keys(SUBNETS)): string[] {
  return subnets.map((s) => `${registry} ${s} ${cause}`).sort();
}
