// What the fault tests (test/faults/) share: a `cove serve` child that can be killed and started
// again on the same data dir and ports, with one registry on it reached as a client would (Basic
// credentials of an Owner, TLS to the login server); pushes that return the server's answer rather
// than throwing; and the blob files of the data dir (docs/storage.md, "Layout of the data
// directory") with what they hash to.
//
//   startFaultServer(dataDir, ...)   spawnCove + realRegistryOn; .restart() keeps ports, data dir, registry;
//                                    with SpawnOptions, cove runs in another mount namespace (.files is its data dir here)
//   pushMonolithic / startSession / patchChunk / closeSession / putManifest   one request each
//   blobFiles(dataDir)               every file under blobs/sha256/<2 hex>/<64 hex>, by its name
//   sha256File(path)                 the hex sha256 of a file's bytes
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { freePort, spawnCove, type SpawnedCove, type SpawnOptions, type TestCove } from "../support/cove.js";
import { realRegistryOn, sha256, OCI_MANIFEST, type RealRegistry } from "../data-plane/real-registry.js";
import type { HttpResult } from "../support/http.js";

export { sha256, OCI_MANIFEST };

export interface FaultServer {
  /** The data dir as the server names it. */
  dataDir: string;
  /** The same directory as this process reaches it (SpawnOptions.view; else dataDir). */
  files: string;
  server: SpawnedCove;
  reg: RealRegistry;
  /** SIGKILL, then wait until the process is gone. */
  kill(): Promise<void>;
  /** `cove serve` again on the same data dir, ports and environment. */
  restart(): Promise<void>;
  /** SIGTERM (a clean stop), then wait. */
  stop(): Promise<void>;
}

/** `cove serve` on `dataDir` (output captured: `server.output()`), and a registry `name` on it. */
export async function startFaultServer(dataDir: string, name: string, env: NodeJS.ProcessEnv = {}, o: SpawnOptions = {}): Promise<FaultServer> {
  const mport = await freePort();
  const rport = await freePort();
  const view = o.view ?? ((p: string) => p);
  const spawnIt = () => spawnCove(dataDir, mport, rport, env, true, o);
  const server = await spawnIt();
  const c = server.credentials;
  const end = async (signal: NodeJS.Signals) => {
    if (fs.server.child.exitCode === null && fs.server.child.signalCode === null) fs.server.child.kill(signal);
    await fs.server.waitExit();
  };
  const cove: TestCove = {
    dataDir, credentials: c, ca: await readFile(view(c.caCertPath), "utf8"), managementUrl: c.managementEndpoint,
    registryPort: rport, suffix: "cove.test", stop: () => end("SIGTERM"),
  };
  const fs: FaultServer = {
    dataDir,
    files: view(dataDir),
    server,
    reg: undefined as unknown as RealRegistry,
    kill: () => end("SIGKILL"),
    async restart() {
      await end("SIGKILL");
      fs.server = await spawnIt();
    },
    stop: () => end("SIGTERM"),
  };
  try {
    fs.reg = await realRegistryOn(cove, name);
  } catch (e) {
    await fs.kill();
    throw e;
  }
  return fs;
}

const OCTETS = { "content-type": "application/octet-stream" };

/** POST ?digest= with the whole blob (OCI end-4b). */
export function pushMonolithic(reg: RealRegistry, repo: string, bytes: Buffer, digest = sha256(bytes)): Promise<HttpResult> {
  return reg.call("POST", `/v2/${repo}/blobs/uploads/?digest=${digest}`, { body: bytes, headers: OCTETS });
}

/** POST: a new upload session (202 with its Location). */
export function startSession(reg: RealRegistry, repo: string): Promise<HttpResult> {
  return reg.call("POST", `/v2/${repo}/blobs/uploads/`);
}

/** PATCH bytes [from, from + chunk.length) onto the session at `location`. */
export function patchChunk(reg: RealRegistry, location: string, from: number, chunk: Buffer): Promise<HttpResult> {
  return reg.call("PATCH", location, {
    body: chunk, headers: { ...OCTETS, "content-range": `${from}-${from + chunk.length - 1}` },
  });
}

/** The closing PUT ?digest=, optionally with the last bytes. */
export function closeSession(reg: RealRegistry, location: string, digest: string, last?: Buffer): Promise<HttpResult> {
  const sep = location.includes("?") ? "&" : "?";
  return reg.call("PUT", `${location}${sep}digest=${digest}`, last ? { body: last, headers: OCTETS } : {});
}

/** An OCI image manifest naming one config and one layer. */
export function imageManifest(config: { digest: string; size: number }, layer: { digest: string; size: number }): Buffer {
  return Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: OCI_MANIFEST,
    config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", ...layer }],
  }));
}

export function putManifest(reg: RealRegistry, repo: string, tag: string, body: Buffer): Promise<HttpResult> {
  return reg.call("PUT", `/v2/${repo}/manifests/${tag}`, { body, headers: { "content-type": OCI_MANIFEST } });
}

/** The OCI error code of a response body ("" when it has none). */
export function ociCode(r: HttpResult): string {
  try { return String(r.json().errors?.[0]?.code ?? ""); } catch { return ""; }
}

/** Every committed sha256 blob file of a data dir: its hex name and path. */
export async function blobFiles(dataDir: string): Promise<Array<{ hex: string; path: string }>> {
  const root = join(dataDir, "blobs", "sha256");
  const out: Array<{ hex: string; path: string }> = [];
  for (const prefix of (await readdir(root)).sort()) {
    for (const hex of (await readdir(join(root, prefix))).sort()) out.push({ hex, path: join(root, prefix, hex) });
  }
  return out;
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest("hex");
}
