// The two registries every registry benchmark compares, started the same way (reference/baselines.md):
// Debian's docker-registry (CNCF distribution 2.8) over TLS with a certificate of a local CA and no
// auth, and Cove as its own `cove serve` process with token auth on and one Premium registry. Each
// comes with a directory holding its CA as ca.crt, for skopeo's --src-cert-dir / --dest-cert-dir.
// Shared by bench/registry-bench.ts and bench/fleet-bench.ts; peak RSS is read from VmHWM.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, spawnCove, type SpawnedCove } from "../../test/support/cove.js";
import { createRegistry } from "../../test/support/arm.js";
import { https } from "../../test/support/http.js";
import { openLocalCa } from "../../src/http/tls/local-ca.js";

/** The process's peak resident set (VmHWM), MiB. */
export async function peakRssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Starts VmHWM again from the current RSS (Linux clear_refs 5), so the next reading is one phase's peak. */
export async function resetPeakRss(pid: number): Promise<void> {
  await writeFile(`/proc/${pid}/clear_refs`, "5");
}

export interface PeerRegistry {
  child: ChildProcess;
  port: number;
  /** The local CA's certificate (PEM). */
  ca: string;
  /** A directory with the CA as ca.crt. */
  certDir: string;
}

/** docker-registry on 127.0.0.1 over TLS, answering /v2/ (or after 10 s of trying). */
export async function startPeerRegistry(work: string): Promise<PeerRegistry> {
  const ca = await openLocalCa(join(work, "peer-ca"));
  const peerTls = await ca.issue(["127.0.0.1", "localhost"]);
  await writeFile(join(work, "peer.crt"), peerTls.cert);
  await writeFile(join(work, "peer.key"), peerTls.key);
  const port = await freePort();
  await writeFile(join(work, "peer.yml"), [
    "version: 0.1",
    "log: {level: warn, accesslog: {disabled: true}}",
    `storage: {cache: {blobdescriptor: inmemory}, filesystem: {rootdirectory: ${join(work, "peer-data")}}, delete: {enabled: true}}`,
    `http: {addr: 127.0.0.1:${port}, tls: {certificate: ${join(work, "peer.crt")}, key: ${join(work, "peer.key")}}}`,
    "",
  ].join("\n"));
  const child = spawn("docker-registry", ["serve", join(work, "peer.yml")], { stdio: "ignore" });
  const certDir = join(work, "peer-certs");
  await mkdir(certDir);
  await writeFile(join(certDir, "ca.crt"), ca.certPem);
  for (let i = 0; i < 100; i++) {
    try { if ((await https(`https://127.0.0.1:${port}/v2/`, { ca: ca.certPem })).status === 200) break; } catch { /* starting */ }
    await sleep(100);
  }
  return { child, port, ca: ca.certPem, certDir };
}

export interface CoveRegistry {
  cove: SpawnedCove;
  registryPort: number;
  registry: { id: string; loginServer: string };
  /** The login server without its port: the TLS name and the /etc/hosts name clients use. */
  host: string;
  ca: string;
  certDir: string;
  /** client id:secret of Cove's admin service principal, for skopeo's --*-creds. */
  creds: string;
  /** The /etc/hosts entries that send the login server to 127.0.0.1 (test/support/hosts.ts). */
  hosts: Record<string, string>;
}

/** `cove serve` in `dir` with one Premium registry `name` in bench-rg. */
export async function startCoveRegistry(work: string, dir: string, env: NodeJS.ProcessEnv = {}, name = "benchreg"): Promise<CoveRegistry> {
  const registryPort = await freePort();
  const cove = await spawnCove(join(work, dir), await freePort(), registryPort, { COVE_LOG_LEVEL: "error", ...env });
  let ca: string, registry: CoveRegistry["registry"], certDir: string;
  try {
    ca = await readFile(cove.credentials.caCertPath, "utf8");
    registry = await createRegistry({ credentials: cove.credentials, ca, managementUrl: cove.credentials.managementEndpoint } as any, "bench-rg", name);
    certDir = join(work, `${dir}-certs`);
    await mkdir(certDir);
    await writeFile(join(certDir, "ca.crt"), ca);
  } catch (e) {
    cove.child.kill("SIGKILL");
    throw e;
  }
  const host = registry.loginServer.replace(/:\d+$/, "");
  return {
    cove, registryPort, registry, host, ca, certDir,
    creds: `${cove.credentials.clientId}:${cove.credentials.clientSecret}`,
    hosts: { [host]: "127.0.0.1" },
  };
}
