// A Cove that can be stopped and started again on the same data dir and ports, so a test can
// tamper with the data dir in between. A token obtained before the stop is still valid after the
// restart (same management URL, same keys), so reading the log afterwards adds nothing to it.
import { readFile } from "node:fs/promises";
import { start } from "../../src/main.js";
import type { TestCove } from "../support/cove.js";
import { freePort } from "../support/cove.js";

export interface Ports { management: number; registry: number; dns: number }

export async function freePorts(): Promise<Ports> {
  return { management: await freePort(), registry: await freePort(), dns: await freePort() };
}

export async function startAt(dataDir: string, ports: Ports, extra: Record<string, string> = {}): Promise<TestCove> {
  const running = await start({
    dataDir,
    managementListen: `127.0.0.1:${ports.management}`,
    registryPort: String(ports.registry),
    dnsListen: `127.0.0.1:${ports.dns}`,
    logLevel: process.env.COVE_TEST_LOG ?? "silent",
    shutdownGraceSeconds: "2",
    ...extra,
  }, {});
  return {
    dataDir,
    credentials: running.credentials,
    ca: await readFile(running.credentials.caCertPath, "utf8"),
    managementUrl: running.credentials.managementEndpoint,
    registryPort: ports.registry,
    suffix: running.config.loginServerSuffix,
    stop: () => running.stop(),
  };
}
