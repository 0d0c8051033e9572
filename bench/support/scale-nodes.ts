// The Cove side of the scale-out bench: N `cove serve` processes (test/support/cove.ts spawnCove) on one
// set of stores, each with its own data dir, management port and DNS port, and each on a public
// address of its own (127.0.2.<n>) but all on ONE registry port. A registry's login server carries the
// port of the node that created it, so one name and port then reach every node, and a client picks its
// node by what the name resolves to (runWithHosts), as behind a load balancer.
//
// Until nodes share their signing keys and CA, a token or certificate of node A means nothing to
// node B: every client of a node then uses that node's own credentials.json and CA. `shared` says
// which is the case, found out by presenting node A's registry token to node B.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { freePort, spawnCove, type SpawnedCove } from "../../test/support/cove.js";
import { createRegistry, credentialFor } from "../../test/support/arm.js";
import { runWithHosts } from "../../test/support/hosts.js";
import { basic, https } from "../../test/support/http.js";
import type { Credentials } from "../../src/main.js";

export interface BenchNode {
  name: string;
  ip: string;
  spawned: SpawnedCove;
  credentials: Credentials;
  ca: string;
  /** A directory holding this node's ca.crt, for skopeo's --*-cert-dir. */
  certDir: string;
  managementUrl: string;
}

export interface BenchCluster {
  nodes: BenchNode[];
  registryPort: number;
  registry: { id: string; loginServer: string; host: string };
  /** True when node A's tokens verify on every node (the nodes share their keys). */
  shared: boolean;
  /** The node whose credentials a client of `n` uses: A's when shared, else n's own. */
  authOf(n: BenchNode): BenchNode;
  armToken(n: BenchNode): Promise<string>;
  registryToken(n: BenchNode, scope: string): Promise<string>;
  /** `skopeo copy` through node `n`; returns the wall time in seconds. */
  skopeo(n: BenchNode, src: string, dest: string, push: boolean): Promise<number>;
  stop(): Promise<void>;
}

const ARM_SCOPE = "https://management.azure.com/.default";
const asTestCove = (n: BenchNode) => ({ credentials: n.credentials, ca: n.ca, managementUrl: n.managementUrl }) as any;

export async function startCluster(work: string, label: string, count: number, env: NodeJS.ProcessEnv): Promise<BenchCluster> {
  const registryPort = await freePort();
  const nodes: BenchNode[] = [];
  const stop = async () => {
    await Promise.all(nodes.map(async (n) => {
      if (n.spawned.child.exitCode !== null || n.spawned.child.signalCode !== null) return;
      n.spawned.child.kill("SIGTERM");
      const t = setTimeout(() => n.spawned.child.kill("SIGKILL"), 15_000);
      await n.spawned.waitExit();
      clearTimeout(t);
    }));
  };
  try {
    // One after another: the first node creates the tenant and the schema, the others find them.
    for (let i = 0; i < count; i++) {
      const name = String.fromCharCode(97 + i);
      const ip = `127.0.2.${i + 1}`;
      const dataDir = join(work, `${label}-${name}`);
      const spawned = await spawnCove(dataDir, await freePort(), registryPort, {
        COVE_LOG_LEVEL: "error", COVE_PUBLIC_ADDRESS: ip, COVE_DNS_LISTEN: `127.0.0.1:${await freePort()}`, COVE_SHUTDOWN_GRACE_SECONDS: "2", ...env,
      }, true);
      const credentials = spawned.credentials;
      const ca = await readFile(credentials.caCertPath, "utf8");
      const certDir = join(work, `${label}-${name}-certs`);
      await mkdir(certDir, { recursive: true });
      await writeFile(join(certDir, "ca.crt"), ca);
      nodes.push({ name, ip, spawned, credentials, ca, certDir, managementUrl: credentials.managementEndpoint });
    }
    const reg = await createRegistry(asTestCove(nodes[0]!), "bench-rg", "benchreg");
    const registry = { ...reg, host: reg.loginServer.replace(/:\d+$/, "") };
    const tokenFrom = async (n: BenchNode, via: BenchNode, scope: string) => {
      const r = await https(`https://${via.ip}:${registryPort}/oauth2/token?service=${encodeURIComponent(registry.loginServer)}&scope=${encodeURIComponent(scope)}`, {
        ca: via.ca, host: registry.loginServer, headers: { authorization: basic(n.credentials.clientId, n.credentials.clientSecret) },
      });
      if (r.status !== 200) throw new Error(`registry token from node ${via.name}: ${r.status} ${r.body}`);
      return r.json().access_token as string;
    };
    let shared = count === 1;
    if (!shared) {
      const t = await tokenFrom(nodes[0]!, nodes[0]!, "repository:bench/probe:pull");
      const other = nodes[1]!;
      const r = await https(`https://${other.ip}:${registryPort}/v2/`, { ca: nodes[0]!.ca + other.ca, host: registry.loginServer, headers: { authorization: `Bearer ${t}` } });
      shared = r.status === 200 && other.ca === nodes[0]!.ca;
    }
    const authOf = (n: BenchNode) => (shared ? nodes[0]! : n);
    const armTokens = new Map<BenchNode, Promise<string>>();
    return {
      nodes, registryPort, registry, shared, authOf, stop,
      armToken(n) {
        const a = authOf(n);
        // ARM's own audience, which every node accepts (a token for one node's URL is refused by the others).
        if (!armTokens.has(a)) armTokens.set(a, credentialFor(asTestCove(a)).getToken(ARM_SCOPE).then((t) => t.token));
        return armTokens.get(a)!;
      },
      registryToken: (n, scope) => tokenFrom(authOf(n), n, scope),
      async skopeo(n, src, dest, push) {
        const a = authOf(n);
        const creds = `${a.credentials.clientId}:${a.credentials.clientSecret}`;
        const args = push
          ? ["copy", "--dest-cert-dir", n.certDir, "--dest-creds", creds, src, dest]
          : ["copy", "--src-cert-dir", n.certDir, "--src-creds", creds, src, dest];
        const t0 = process.hrtime.bigint();
        const r = await runWithHosts({ [registry.host]: n.ip }, "skopeo", args, { timeoutMs: 900_000 });
        if (r.code !== 0) throw new Error(`skopeo ${args.filter((x) => x !== creds).join(" ")} through node ${n.name}: ${r.stderr}`);
        return Number(process.hrtime.bigint() - t0) / 1e9;
      },
    };
  } catch (e) {
    for (const n of nodes) if (n.spawned.output().trim()) console.error(`node ${label}-${n.name}:\n${n.spawned.output()}`);
    await stop();
    throw e;
  }
}
