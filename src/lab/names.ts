// What the lab calls the kernel objects it makes (docs/lab.md). Every name starts with "cove-" or
// lives inside a namespace whose name does, so `cove lab down` can find and remove all of them
// from the kernel alone, even after an interrupted start or a killed server.
import { formatIPv4, parseIPv4 } from "../domain/network.js";

/** The namespace Cove's own process runs in (`cove serve --lab`). */
export const CORE_NAMESPACE = "cove-lab";
/** Host namespaces are `cove-<host>`. */
export const NAMESPACE_PREFIX = "cove-";
/** The veth end in the machine's namespace (its peer in the core is UPLINK). */
export const ROOT_LINK = "cove-lab";
export const UPLINK = "uplink";
/** The core's loopback holds every private endpoint IP (/32): the core answers ARP for them on every host link. */
export const ENDPOINT_DEVICE = "lo";
/**
 * Inside a host: the veth to the core, and the device that swallows traffic to VNets it has no route
 * to (an ifb device: what it is sent without a tc redirect it drops, silently, so a connect times out).
 */
export const HOST_LINK = "eth0";
export const DISCARD_DEVICE = "none";
/** Where `ip netns` keeps its namespaces and `ip netns exec` finds a host's resolv.conf. */
export const NETNS_RUN_DIR = "/run/netns";
export const NETNS_ETC_DIR = "/etc/netns";
/** Set in the environment of the server that runs inside the core, and of commands `lab exec` starts. */
export const INSIDE_ENV = "COVE_LAB_INSIDE";
export const HOST_ENV = "COVE_LAB_HOST";

/** Host names: short enough for the core's veth name `cv-<name>` (15 bytes at most, Linux IFNAMSIZ). */
export const HOST_NAME = /^[a-z][a-z0-9-]{0,10}$/;
/** Names a host may not take: the core's own namespace is `cove-lab`. */
export const RESERVED_HOST_NAMES = new Set(["lab"]);
export const INTERNET = "internet";

export const hostNamespace = (host: string) => NAMESPACE_PREFIX + host;
export const coreLink = (host: string) => `cv-${host}`;

/** The lab's own /24 around labAddress, and the machine's end of the uplink (labAddress - 1). */
export interface LabAddresses {
  lab: string;
  root: string;
  /** First address of the lab's /24 (internet hosts are numbered from base + 1). */
  base: number;
}

export function labAddresses(labAddress: string): LabAddresses {
  const n = parseIPv4(labAddress);
  if (n === undefined) throw new Error(`labAddress must be IPv4, got ${labAddress}`);
  const base = n - (n % 256);
  const root = n % 256 === 1 ? n + 1 : n - 1;
  return { lab: labAddress, root: formatIPv4(root), base };
}
