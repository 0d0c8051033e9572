// Where a toolkit command stands the client: `--source-address A` (any address, the internet
// included), `--from` a subnet (its id, `VNET/SUBNET`, or an address inside a VNet), or the machine
// itself (the OS picks the source; the live probe reports which). And which DNS server it asks:
// `--dns-server`, the profile's (Cove's DNS, from `cove login --from-data-dir`), or the system's.
import { readFile } from "node:fs/promises";
import { isIP } from "node:net";
import type { ReachabilityModel, SubnetInfo } from "../../network-policy/reachability/model.js";
import { notFound, usageError } from "../errors.js";

export interface Source {
  /** undefined: the machine's own address, chosen by the OS. */
  address?: string;
  subnet?: SubnetInfo;
}

export function describeNetwork(model: ReachabilityModel, address: string | undefined): string {
  if (!address) return "this machine";
  const loc = model.snapshot.locate(address);
  if (!loc) return "internet";
  const s = model.subnet(loc.subnetId);
  return s ? `${s.vnetName}/${s.name}` : loc.subnetId;
}

export function resolveSource(model: ReachabilityModel, opts: { sourceAddress?: string; from?: string }): Source {
  if (opts.sourceAddress && opts.from) throw usageError("Use either --source-address or --from, not both.");
  if (opts.sourceAddress) return { address: opts.sourceAddress };
  const from = opts.from;
  if (!from) return {};
  if (isIP(from)) {
    const loc = model.snapshot.locate(from);
    if (!loc) throw notFound(`The address ${from} is in no subnet of any virtual network. For a client on the internet use --source-address ${from}.`, "SubnetNotFound");
    return { address: from, subnet: model.subnet(loc.subnetId) };
  }
  let subnet: SubnetInfo | undefined;
  if (from.startsWith("/")) {
    subnet = model.subnet(from);
  } else {
    const [vnet, name, ...rest] = from.split("/");
    if (!vnet || !name || rest.length) throw usageError(`--from expects a subnet id, VNET/SUBNET or an address inside a VNet, not '${from}'.`);
    const hits = model.subnets.filter((s) => s.vnetName.toLowerCase() === vnet.toLowerCase() && s.name.toLowerCase() === name.toLowerCase());
    if (hits.length > 1) throw usageError(`More than one VNet is named ${vnet} (${hits.map((h) => h.group).join(", ")}); give the subnet's id.`);
    subnet = hits[0];
  }
  if (!subnet) throw notFound(`Subnet '${from}' not found.`, "SubnetNotFound");
  if (!subnet.clientAddress) throw usageError(`Subnet ${subnet.vnetName}/${subnet.name} has no address a client could use (prefix ${subnet.prefixes.join(", ") || "none"}).`);
  return { address: subnet.clientAddress, subnet };
}

function hostPort(v: string, defaultPort: number): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s]+)(?::(\d{1,5}))?$/.exec(v.trim());
  if (!m) throw usageError(`Expected HOST[:PORT] for the DNS server, not '${v}'.`);
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port: m[2] ? Number(m[2]) : defaultPort };
}

export async function dnsServerFor(flag: string | undefined, profileValue: string | undefined): Promise<{ host: string; port: number }> {
  if (flag) return hostPort(flag, 53);
  if (profileValue) return hostPort(profileValue, 53);
  const conf = await readFile("/etc/resolv.conf", "utf8").catch(() => "");
  const ns = /^\s*nameserver\s+(\S+)/m.exec(conf)?.[1];
  if (!ns) throw usageError("No DNS server to ask: give --dns-server HOST:PORT (Cove's DNS, see credentials.json dnsAddress).");
  return { host: ns, port: 53 };
}
