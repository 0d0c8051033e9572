// The lab as the server runs it, inside the core namespace (`cove serve --lab`): the hosts that
// `cove lab up` declared, and, on every change of the network snapshot, the private endpoint IPs on
// the core's loopback and each host's routes. `sync` runs in the private listeners' reconcile,
// before they bind (listeners.ts `prepare`), so an endpoint's IP exists when its listener opens and a
// write through the API is answered only once the lab matches it.
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import type { NetworkSnapshot } from "../network-policy/index.js";
import { LabError } from "./errors.js";
import { ip, ipBatch, ipJson, readSysctl, setSysctl } from "./kernel.js";
import type { HostSpec } from "./hosts-file.js";
import { placeHosts, routesFor, type HostRoutes, type LabHost } from "./plan.js";
import { DISCARD_DEVICE, ENDPOINT_DEVICE, HOST_LINK, NETNS_ETC_DIR, UPLINK, labAddresses, type LabAddresses } from "./names.js";

export interface LabControllerOptions {
  labAddress: string;
  log: Logger;
  snapshot(): NetworkSnapshot;
}

interface Running extends LabHost {
  routes: HostRoutes;
}

export class LabController {
  readonly addresses: LabAddresses;
  private readonly hosts = new Map<string, Running>();
  private endpointIps = new Set<string>();
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: LabControllerOptions) {
    this.addresses = labAddresses(o.labAddress);
  }

  /** Checks that this process runs inside the core `cove serve --lab` made, and that it forwards nothing. */
  async start(): Promise<void> {
    const links = await ipJson<{ ifname: string }>(["link", "show"]);
    if (!links.some((l) => l.ifname === UPLINK)) {
      throw new LabError("LabNotRunning", "networkMode lab: start Cove with 'cove serve --lab' (as root), which creates the lab's namespace and runs Cove inside it.");
    }
    if ((await readSysctl("net.ipv4.ip_forward")) !== "0") await setSysctl("net.ipv4.ip_forward", "0");
    const held = await ipJson<{ addr_info?: { local: string }[] }>(["addr", "show", "dev", ENDPOINT_DEVICE]);
    this.endpointIps = new Set(held.flatMap((l) => (l.addr_info ?? []).map((a) => a.local)).filter((x) => x.includes(".") && !x.startsWith("127.")));
  }

  /** One change at a time: up, down and sync never interleave their ip commands. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Brings endpoint addresses and host routes in line with the snapshot. */
  sync(snapshot: NetworkSnapshot = this.o.snapshot()): Promise<void> {
    return this.serial(() => this.apply(snapshot));
  }

  private async apply(snapshot: NetworkSnapshot): Promise<void> {
    const wanted = new Set(snapshot.endpointAddresses().map((e) => e.ip).filter((x) => x.includes(".") && x !== this.addresses.lab && x !== this.addresses.root));
    const lines: string[] = [];
    for (const x of this.endpointIps) if (!wanted.has(x)) lines.push(`addr del ${x}/32 dev ${ENDPOINT_DEVICE}`);
    for (const x of wanted) if (!this.endpointIps.has(x)) lines.push(`addr add ${x}/32 dev ${ENDPOINT_DEVICE}`);
    await ipBatch(lines);
    this.endpointIps = wanted;
    for (const h of this.hosts.values()) {
      const next = routesFor(h, snapshot, this.addresses);
      const batch = routeChanges(h, h.routes, next);
      if (!batch.length) continue;
      await ipBatch(batch, h.namespace);
      h.routes = next;
      this.o.log.info({ host: h.name, reach: next.reach, discard: next.discard }, "lab host routes changed");
    }
  }

  /** `cove lab up`: every host, or none (a failure removes what this call made). */
  up(specs: readonly HostSpec[]): Promise<LabHost[]> {
    return this.serial(async () => {
      if (this.hosts.size > 0) throw new LabError("LabAlreadyUp", `The lab is already up with ${this.hosts.size} hosts; 'cove lab down' first, then 'cove lab up' again.`);
      const snapshot = this.o.snapshot();
      const placed = placeHosts(specs, snapshot, this.addresses);
      const made: LabHost[] = [];
      try {
        for (const h of placed) {
          made.push(h);
          await this.create(h, routesFor(h, snapshot, this.addresses));
        }
      } catch (e) {
        for (const h of made) await this.destroy(h).catch(() => undefined);
        throw e;
      }
      this.o.log.info({ hosts: placed.map((h) => `${h.name}=${h.address}`) }, "lab up");
      return placed;
    });
  }

  /** `cove lab down`: every host namespace goes, with its links, addresses, routes and resolv.conf. */
  down(): Promise<string[]> {
    return this.serial(async () => {
      const names = [...this.hosts.keys()];
      for (const h of [...this.hosts.values()]) await this.destroy(h);
      if (names.length) this.o.log.info({ hosts: names }, "lab down");
      return names;
    });
  }

  list(): Running[] {
    return [...this.hosts.values()];
  }

  private async create(h: LabHost, routes: HostRoutes): Promise<void> {
    const dir = join(NETNS_ETC_DIR, h.namespace);
    await mkdir(dir, { recursive: true, mode: 0o755 });
    // `ip netns exec` bind-mounts this file over /etc/resolv.conf: the host asks Cove, nothing else.
    await writeFile(join(dir, "resolv.conf"), `# written by cove lab up\nnameserver ${this.addresses.lab}\noptions timeout:2 attempts:2\n`);
    await ipBatch([
      `netns add ${h.namespace}`,
      `link add ${h.link} type veth peer name ${HOST_LINK} netns ${h.namespace}`,
      `link set ${h.link} up`,
      `route add ${h.address}/32 dev ${h.link} src ${this.addresses.lab}`,
    ]);
    await ipBatch([
      "link set lo up",
      `addr add ${h.address}/32 dev ${HOST_LINK}`,
      `link set ${HOST_LINK} up`,
      `link add ${DISCARD_DEVICE} type ifb`,
      `link set ${DISCARD_DEVICE} up`,
      ...routeChanges(h, { reach: [], discard: [] }, routes),
    ], h.namespace);
    this.hosts.set(h.name, { ...h, routes });
  }

  private async destroy(h: LabHost): Promise<void> {
    this.hosts.delete(h.name);
    const list = await ipJson<{ name: string }>(["netns", "list"]);
    if (list.some((n) => n.name === h.namespace)) await ip(["netns", "del", h.namespace]);
    await rm(join(NETNS_ETC_DIR, h.namespace), { recursive: true, force: true });
  }
}

/** The `ip route` lines that turn one host's routes into the next. */
function routeChanges(h: LabHost, from: HostRoutes, to: HostRoutes): string[] {
  const lines: string[] = [];
  const was = new Map<string, string>([...from.reach.map((p) => [p, "reach"] as const), ...from.discard.map((p) => [p, "discard"] as const)]);
  const now = new Map<string, string>([...to.reach.map((p) => [p, "reach"] as const), ...to.discard.map((p) => [p, "discard"] as const)]);
  for (const p of was.keys()) if (!now.has(p)) lines.push(`route del ${p}`);
  for (const [p, kind] of now) {
    if (was.get(p) === kind) continue;
    lines.push(kind === "reach" ? `route replace ${p} dev ${HOST_LINK} src ${h.address}` : `route replace ${p} dev ${DISCARD_DEVICE}`);
  }
  return lines;
}
