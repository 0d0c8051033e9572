// Where each lab host sits and what it can reach, computed from the network snapshot alone (pure).
// The routes follow Azure's system routes: a VM reaches its own VNet and VNets peered with it in both
// directions; every other VNet's prefix leads to the discard device, Azure's next hop "None", so a
// client there sees what Azure gives it, an i/o timeout, and never "network unreachable". The IPs of
// an endpoint whose connection is not Approved lead there too. Every host, inside a VNet or not,
// reaches the lab address (the public endpoint, DNS and management).
import type { NetworkSnapshot } from "../network-policy/index.js";
import { cidrContainsAddress, cidrsOverlap, formatCidr, formatIPv4, isReserved, parseIPv4, type Cidr } from "../domain/network.js";
import { LabError } from "./errors.js";
import type { HostSpec } from "./hosts-file.js";
import { INTERNET, coreLink, hostNamespace, type LabAddresses } from "./names.js";

export interface LabHost {
  name: string;
  namespace: string;
  /** The veth end in the core. */
  link: string;
  address: string;
  /** Lower-cased ids; absent for hosts on the internet. */
  subnetId?: string;
  vnetId?: string;
  /** The subnet's prefix, for status. */
  prefix?: string;
}

export interface HostRoutes {
  /** Prefixes reached through the host's link (its VNet, two-sided peers, the lab address). */
  reach: string[];
  /** Prefixes of every other VNet, and the IPs of endpoints not Approved: the discard device. */
  discard: string[];
}

type Subnet = { cidr: Cidr; vnetId: string; subnetId: string };

function subnetsOf(snapshot: NetworkSnapshot): readonly Subnet[] {
  return snapshot.subnets?.() ?? [];
}

/** `VNET/SUBNET` (case-insensitive, by name) or a subnet id. */
function findSubnet(subnets: readonly Subnet[], ref: string): Subnet {
  const lower = ref.toLowerCase().replace(/\/+$/, "");
  if (lower.startsWith("/subscriptions/")) {
    const hit = subnets.find((s) => s.subnetId === lower);
    if (hit) return hit;
  } else {
    const m = /^([^/]+)\/([^/]+)$/.exec(lower);
    if (m) {
      const hits = subnets.filter((s) => s.subnetId.endsWith(`/virtualnetworks/${m[1]}/subnets/${m[2]}`));
      if (hits.length > 1) throw new LabError("UnknownSubnet", `'${ref}' names subnets in ${hits.length} VNets; give the subnet's resource id.`);
      if (hits[0]) return hits[0];
    }
  }
  throw new LabError("UnknownSubnet", `No subnet '${ref}' in Cove's model; give a subnet id, VNET/SUBNET or '${INTERNET}' (cove network vnet subnet list shows them).`);
}

/** Places every host: checks the subnets, the addresses and their uniqueness, and picks free addresses. */
export function placeHosts(specs: readonly HostSpec[], snapshot: NetworkSnapshot, lab: LabAddresses): LabHost[] {
  const subnets = subnetsOf(snapshot);
  const labRange: Cidr = { base: lab.base, prefix: 24, size: 256 };
  const overlapping = subnets.find((s) => cidrsOverlap(s.cidr, labRange));
  if (overlapping) {
    throw new LabError("LabRangeOverlap", `Subnet ${overlapping.subnetId} (${formatCidr(overlapping.cidr)}) overlaps the lab's own ${formatCidr(labRange)}; move the VNet or set labAddress elsewhere.`);
  }
  const endpointIps = new Set(snapshot.endpointAddresses().map((e) => parseIPv4(e.ip)).filter((n): n is number => n !== undefined));
  const taken = new Map<number, string>();
  const claim = (n: number, who: string) => {
    const other = taken.get(n);
    if (other) throw new LabError("DuplicateAddress", `Hosts '${other}' and '${who}' both have the address ${formatIPv4(n)}.`);
    if (endpointIps.has(n)) throw new LabError("AddressReserved", `Host '${who}': ${formatIPv4(n)} is a private endpoint's IP.`);
    taken.set(n, who);
  };
  const placed: Array<LabHost & { cidr?: Cidr; wanted?: number }> = [];
  const all = [{ name: INTERNET, subnet: INTERNET } as HostSpec, ...specs];
  // Given addresses first, so a picked one never takes an address someone asked for.
  for (const spec of all) {
    const base = { name: spec.name, namespace: hostNamespace(spec.name), link: coreLink(spec.name), address: "" };
    const wanted = spec.address !== undefined ? parseIPv4(spec.address) : undefined;
    if (spec.subnet.toLowerCase() === INTERNET) {
      if (wanted !== undefined) {
        const inside = subnets.find((s) => cidrContainsAddress(s.cidr, wanted));
        if (inside) throw new LabError("AddressOutsideSubnet", `Host '${spec.name}' is on the internet, but ${spec.address} is inside subnet ${inside.subnetId}.`);
        if (wanted === parseIPv4(lab.lab) || wanted === parseIPv4(lab.root)) throw new LabError("AddressReserved", `Host '${spec.name}': ${spec.address} is the lab's own address.`);
        claim(wanted, spec.name);
      }
      placed.push({ ...base, wanted });
      continue;
    }
    const subnet = findSubnet(subnets, spec.subnet);
    if (wanted !== undefined) {
      if (!cidrContainsAddress(subnet.cidr, wanted)) throw new LabError("AddressOutsideSubnet", `Host '${spec.name}': ${spec.address} is outside its subnet's prefix ${formatCidr(subnet.cidr)}.`);
      if (isReserved(subnet.cidr, wanted)) throw new LabError("AddressReserved", `Host '${spec.name}': ${spec.address} is reserved in ${formatCidr(subnet.cidr)} (the first four addresses and the last, as Azure).`);
      claim(wanted, spec.name);
    }
    placed.push({ ...base, wanted, cidr: subnet.cidr, subnetId: subnet.subnetId, vnetId: subnet.vnetId, prefix: formatCidr(subnet.cidr) });
  }
  // Picked addresses come from the top of the subnet: Cove gives private endpoints the lowest free ones.
  for (const h of placed) {
    if (h.wanted !== undefined) { h.address = formatIPv4(h.wanted); continue; }
    const range = h.cidr ?? labRange;
    let n = h.cidr ? range.base + range.size - 2 : range.base + 1;
    const stop = h.cidr ? range.base + 4 : range.base + 250;
    const step = h.cidr ? -1 : 1;
    const busy = (x: number) => taken.has(x) || endpointIps.has(x) || x === parseIPv4(lab.lab) || x === parseIPv4(lab.root);
    while (busy(n) && n !== stop) n += step;
    if (busy(n)) throw new LabError("AddressReserved", `Host '${h.name}': no free address left in ${formatCidr(range)}.`);
    taken.set(n, h.name);
    h.address = formatIPv4(n);
  }
  return placed.map(({ cidr: _c, wanted: _w, ...h }) => h);
}

/** The routes one host should have now. */
export function routesFor(host: LabHost, snapshot: NetworkSnapshot, lab: LabAddresses): HostRoutes {
  const reach = new Set<string>([`${lab.lab}/32`]);
  const discard = new Set<string>();
  for (const s of subnetsOf(snapshot)) {
    const prefix = formatCidr(s.cidr);
    const reachable = host.vnetId !== undefined && (s.vnetId === host.vnetId || snapshot.peered(host.vnetId, s.vnetId));
    (reachable ? reach : discard).add(prefix);
  }
  // A connection that is not Approved carries no traffic in Azure: its IPs lead to the discard
  // device too (the /32 wins over the subnet's route), so the client's SYN goes unanswered and it
  // sees Azure's `dial tcp <ip>:443: i/o timeout`, not a TLS handshake that hangs on a held socket.
  for (const e of snapshot.endpointAddresses()) if (e.status !== "Approved" && e.ip.includes(".")) discard.add(`${e.ip}/32`);
  for (const p of reach) discard.delete(p);
  return { reach: [...reach].sort(), discard: [...discard].sort() };
}
