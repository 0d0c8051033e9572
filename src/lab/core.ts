// The lab's core, made in the machine's namespace by `cove serve --lab` before Cove starts inside it,
// and the sweep that removes everything the lab ever made (`cove lab down`, and the supervisor when
// the server stops). The machine's namespace gets one veth, one /32 address and one /32 route, all
// in the lab's own range; the veth never forwards, so nothing from the lab reaches any other network.
import { access, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { LabError } from "./errors.js";
import { ip, ipBatch, ipJson, setSysctl } from "./kernel.js";
import { CORE_NAMESPACE, NAMESPACE_PREFIX, NETNS_ETC_DIR, NETNS_RUN_DIR, ROOT_LINK, UPLINK, labAddresses } from "./names.js";

async function exists(p: string): Promise<boolean> {
  try { await access(p); return true; } catch { return false; }
}

/** The lab's namespaces that exist now (`cove-*`). */
export async function labNamespaces(): Promise<string[]> {
  const list = await ipJson<{ name: string }>(["netns", "list"]);
  return list.map((n) => n.name).filter((n) => n.startsWith(NAMESPACE_PREFIX)).sort();
}

/** Creates the core namespace and its uplink; refuses when a lab (or its leftovers) is there. */
export async function createCore(labAddress: string): Promise<void> {
  const a = labAddresses(labAddress);
  if (await exists(join(NETNS_RUN_DIR, CORE_NAMESPACE))) {
    throw new LabError("LabAlreadyUp", `A lab is already running on this machine (namespace ${CORE_NAMESPACE}). Stop its cove serve, or run 'cove lab down' to remove a left-over lab.`);
  }
  try {
    await ipBatch([
      `netns add ${CORE_NAMESPACE}`,
      `link add ${ROOT_LINK} type veth peer name ${UPLINK} netns ${CORE_NAMESPACE}`,
    ]);
    // The machine may forward between its own interfaces; packets arriving from the lab never are.
    await setSysctl(`net.ipv4.conf.${ROOT_LINK}.forwarding`, "0");
    await setSysctl(`net.ipv6.conf.${ROOT_LINK}.disable_ipv6`, "1");
    await ipBatch([
      `addr add ${a.root}/32 dev ${ROOT_LINK}`,
      `link set ${ROOT_LINK} up`,
      `route add ${a.lab}/32 dev ${ROOT_LINK} src ${a.root}`,
    ]);
    await ipBatch([
      "link set lo up",
      `addr add ${a.lab}/32 dev ${UPLINK}`,
      `link set ${UPLINK} up`,
      `route add ${a.root}/32 dev ${UPLINK} src ${a.lab}`,
    ], CORE_NAMESPACE);
  } catch (e) {
    await removeLab({ keepCore: false });
    throw e;
  }
}

export interface Removed {
  namespaces: string[];
  links: string[];
  files: string[];
}

/**
 * Removes every namespace `cove-*` (with `keepCore`, all but the core a running server lives in),
 * their /etc/netns directories, and the machine's end of the uplink. A namespace's veths and
 * addresses go with it. Idempotent: a second run finds nothing.
 */
export async function removeLab(opts: { keepCore: boolean }): Promise<Removed> {
  const removed: Removed = { namespaces: [], links: [], files: [] };
  for (const ns of await labNamespaces()) {
    if (opts.keepCore && ns === CORE_NAMESPACE) continue;
    await ip(["netns", "del", ns]);
    removed.namespaces.push(ns);
  }
  let etc: string[] = [];
  try { etc = await readdir(NETNS_ETC_DIR); } catch { /* no /etc/netns: nothing to remove */ }
  for (const name of etc) {
    if (!name.startsWith(NAMESPACE_PREFIX) || (opts.keepCore && name === CORE_NAMESPACE)) continue;
    await rm(join(NETNS_ETC_DIR, name), { recursive: true, force: true });
    removed.files.push(join(NETNS_ETC_DIR, name));
  }
  if (!opts.keepCore) {
    const links = await ipJson<{ ifname: string }>(["link", "show"]);
    if (links.some((l) => l.ifname === ROOT_LINK)) {
      // Removing the core's namespace takes its veth peer, and with it this end, a moment later.
      try { await ip(["link", "del", ROOT_LINK]); } catch (e) { if (!/Cannot find device/.test((e as Error).message)) throw e; }
      removed.links.push(ROOT_LINK);
    }
  }
  return removed;
}

/** What of the lab is left on this machine: namespaces, the uplink, /etc/netns entries (the tests' "nothing left"). */
export async function labLeftovers(): Promise<string[]> {
  const left = (await labNamespaces()).map((n) => `namespace ${n}`);
  const links = await ipJson<{ ifname: string }>(["link", "show"]);
  if (links.some((l) => l.ifname === ROOT_LINK)) left.push(`link ${ROOT_LINK}`);
  try {
    for (const name of await readdir(NETNS_ETC_DIR)) if (name.startsWith(NAMESPACE_PREFIX)) left.push(`file ${join(NETNS_ETC_DIR, name)}`);
  } catch { /* none */ }
  return left;
}
