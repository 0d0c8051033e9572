// Starts Azurite, Microsoft's Azure Storage emulator (npm `azurite`), for the tests of the Azure
// Blob driver: the blob service only, on 127.0.0.1 and a port the kernel picks (`--blobPort 0`,
// then read back from its "listens on" line, so no free-port race), in a throwaway --location.
// --disableTelemetry: without it Azurite tries to reach an Application Insights host (the one
// outbound connection it would make); every other connection is the test's own, on loopback.
// --skipApiVersionCheck: @azure/storage-blob sends an x-ms-version newer than Azurite knows.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** Azurite's documented account and key: public, the same on every machine (not a secret). */
export const AZURITE_ACCOUNT = "devstoreaccount1";
export const AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface TestAzurite {
  /** The well-known development connection string, pointed at this instance's port. */
  connectionString: string;
  port: number;
  /** Stops it (SIGTERM, then waits) and removes its data. */
  stop(): Promise<void>;
  /** kill -9, keeping what it saved. Azurite saves its metadata (LokiJS) on an interval, so its last writes are lost. */
  kill(): Promise<void>;
  /** Stops it cleanly (SIGTERM: it saves everything) and keeps its data, for an outage that `restart` ends. */
  halt(): Promise<void>;
  /** Starts it again on the same port and data after kill() or halt(). */
  restart(): Promise<void>;
}

const BIN = resolve("node_modules/.bin/azurite-blob");

export function azuriteConnectionString(port: number): string {
  return `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=http://127.0.0.1:${port}/${AZURITE_ACCOUNT};`;
}

/** OAuth as a storage account has it: HTTPS with this certificate, bearer tokens checked (Azurite's "basic": claims, not signatures). */
export interface AzuriteOAuth { certPath: string; keyPath: string }

function launch(location: string, port: number, oauth?: AzuriteOAuth): Promise<{ child: ChildProcess; port: number }> {
  const args = [BIN, "--blobHost", "127.0.0.1", "--blobPort", String(port), "--location", location, "--silent", "--skipApiVersionCheck", "--disableTelemetry",
    ...(oauth ? ["--oauth", "basic", "--cert", oauth.certPath, "--key", oauth.keyPath] : [])];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((ok, fail) => {
    let out = "";
    const timer = setTimeout(() => { child.kill("SIGKILL"); fail(new Error(`azurite did not start within 15 s: ${out}`)); }, 15_000);
    const onData = (c: Buffer) => {
      out += c.toString();
      const m = /listens on https?:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) { clearTimeout(timer); ok({ child, port: Number(m[1]) }); }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => { clearTimeout(timer); fail(new Error(`azurite exited with ${code}: ${out}`)); });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((ok) => child.once("exit", () => ok()));
}

export async function startAzurite(oauth?: AzuriteOAuth): Promise<TestAzurite> {
  const location = await mkdtemp(join(tmpdir(), "cove-azurite-"));
  let cur: ChildProcess;
  let port: number;
  try {
    ({ child: cur, port } = await launch(location, 0, oauth));
  } catch (e) {
    await rm(location, { recursive: true, force: true });
    throw e;
  }
  // The child must not outlive a test run that crashes.
  const orphan = () => cur.kill("SIGKILL");
  process.once("exit", orphan);
  return {
    get connectionString() { return azuriteConnectionString(port); },
    get port() { return port; },
    async stop() {
      process.off("exit", orphan);
      cur.kill("SIGTERM");
      await exited(cur);
      await rm(location, { recursive: true, force: true });
    },
    async kill() {
      cur.kill("SIGKILL");
      await exited(cur);
    },
    async halt() {
      cur.kill("SIGTERM");
      await exited(cur);
    },
    async restart() {
      ({ child: cur } = await launch(location, port, oauth));
    },
  };
}
