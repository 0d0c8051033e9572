// `npm run demo`: a hub-and-spoke landing zone on loopback addresses (landing.ts), then the failure
// modes teams meet when they cut a registry over to Private Link, one by one. Each is a real
// misconfiguration made through the API; `cove acr preflight` (the real CLI, cli.ts) then names it,
// printing its steps, the one root cause, the evidence and the fix in cove and az; the demo runs the
// printed fix as printed, and preflight passes. No root needed: every VNet prefix is inside
// 127.0.0.0/8, Cove binds each private endpoint IP directly, and each "machine" below is a source
// address that preflight asks Cove's DNS from and connects from.
import { buildLandingZone, startCove, REGISTRY, RG, ZONE, type LandingZone } from "./landing.js";
import { loginCli, type Cli } from "./cli.js";

const BUILD_AGENT = "127.21.1.10";
const AKS_NODE = "127.22.1.10";
const BATCH_NODE = "127.23.1.10";
const LAPTOP = "127.99.0.10";
const SECOND_LAPTOP = "127.99.0.11";

interface Check {
  args: string[];
  env?: Record<string, string>;
}

interface FailureMode {
  cause: string;
  title: string;
  /** The misconfiguration, made through the API. */
  breakIt?: () => Promise<void>;
  /** The preflight that shows it (read after breakIt, which may make the identity it uses). */
  check: () => Check;
  /** The check after the fix, when the fix changes what the client uses (a new secret, the right name). */
  recheck?: (fixOutputs: string[]) => Check;
  /** Printed commands that put the landing zone back for the next mode. */
  restore?: string[][];
}

async function sp(cli: Cli, name: string, scopes?: string): Promise<{ appId: string; password: string }> {
  const r = await cli.run(["ad", "sp", "create-for-rbac", "-n", name, ...(scopes ? ["--role", "AcrPull", "--scopes", scopes] : []), "--only-show-errors"]);
  if (r.code !== 0) throw new Error(`cove ad sp create-for-rbac -n ${name}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

async function connectionOf(lz: LandingZone, registry: string): Promise<string> {
  for await (const c of lz.acr.privateEndpointConnections.list(RG, registry)) return c.name!;
  throw new Error(`${registry} has no private endpoint connection`);
}

function modes(lz: LandingZone, cli: Cli, ids: { kubelet: { appId: string; password: string } }): FailureMode[] {
  const login = ["-n", REGISTRY];
  let pipeline = { appId: "", password: "" };
  const dataRecord = `${REGISTRY}.westeurope.data`;
  return [
    { cause: "PUBLIC_ACCESS_DISABLED", title: "A laptop on the internet, once public access is off", check: () => ({ args: [...login, "--source-address", LAPTOP] }) },
    {
      cause: "FIREWALL_DENIED", title: "A second laptop: public access is on again, but only for the first one's address",
      check: () => ({ args: [...login, "--source-address", SECOND_LAPTOP] }),
      restore: [["acr", "update", "-n", REGISTRY, "-g", RG, "--public-network-enabled", "false", "-o", "none"]],
    },
    { cause: "DNS_PUBLIC_ANSWER", title: "An AKS spoke peered with the hub, but its VNet is not linked to the zone", check: () => ({ args: [...login, "--source-address", AKS_NODE] }) },
    {
      cause: "ROLE_MISSING", title: "The AKS spoke's kubelet identity holds no AcrPull",
      check: () => ({ args: [...login, "--source-address", AKS_NODE, "--as", ids.kubelet.appId, "--secret-env", "KUBELET_SECRET"], env: { KUBELET_SECRET: ids.kubelet.password } }),
    },
    {
      cause: "AUTH_FAILED", title: "A release pipeline's service principal was deleted, its secret still in the pipeline",
      breakIt: async () => {
        pipeline = await sp(cli, "release-pipeline", lz.registryId);
        if ((await cli.run(["ad", "sp", "delete", "--id", pipeline.appId])).code !== 0) throw new Error("cove ad sp delete failed");
      },
      check: () => ({ args: [...login, "--source-address", BUILD_AGENT, "--as", pipeline.appId, "--secret-env", "PIPELINE_SECRET"], env: { PIPELINE_SECRET: pipeline.password } }),
      recheck: ([out]) => {
        const made = JSON.parse(out!);
        return { args: [...login, "--source-address", BUILD_AGENT, "--as", made.appId, "--secret-env", "PIPELINE_SECRET"], env: { PIPELINE_SECRET: made.password } };
      },
    },
    {
      cause: "DNS_NO_DATA_RECORD", title: "The data endpoint's record is gone: manifests resolve, layer downloads would not",
      breakIt: () => lz.pdns.recordSets.delete(RG, ZONE, "A", dataRecord),
      check: () => ({ args: [...login, "--source-address", BUILD_AGENT] }),
    },
    {
      cause: "DNS_NXDOMAIN", title: "The login server's record is gone from the linked zone",
      breakIt: () => lz.pdns.recordSets.delete(RG, ZONE, "A", REGISTRY),
      check: () => ({ args: [...login, "--source-address", BUILD_AGENT] }),
    },
    {
      cause: "DNS_WRONG_ADDRESS", title: "A second endpoint, in the AKS spoke, and its zone group overwrite the shared zone's records",
      breakIt: () => lz.endpoint("aks-acr-pe", "aks-vnet", "pe-subnet", lz.registryId),
      check: () => ({ args: [...login, "--source-address", BUILD_AGENT] }),
    },
    {
      cause: "NO_ROUTE", title: "A batch VNet linked to the zone, but nobody peered it with the hub",
      breakIt: async () => { await lz.vnet("batch-vnet", "127.23.0.0/16", [["jobs", "127.23.1.0/24"]]); await lz.link("batch-vnet"); },
      check: () => ({ args: [...login, "--source-address", BATCH_NODE] }),
    },
    {
      cause: "TLS_NAME_MISMATCH", title: "A client configured with the privatelink name instead of the login server",
      check: () => ({ args: [...login, "--source-address", BUILD_AGENT, "--login-server", `${REGISTRY}.${ZONE}`] }),
      recheck: ([out]) => ({ args: [...login, "--source-address", BUILD_AGENT, "--login-server", out!.trim()] }),
    },
    {
      cause: "ENDPOINT_PENDING", title: "A second registry's endpoint in the hub, requested manually and never approved",
      breakIt: async () => {
        const reg = await lz.acr.registries.beginCreateAndWait(RG, "pendingacr", { location: "westeurope", sku: { name: "Premium" } });
        await lz.endpoint("hub-pending-pe", "hub-vnet", "pe-subnet", reg.id!, true);
      },
      check: () => ({ args: ["-n", "pendingacr", "--source-address", BUILD_AGENT] }),
    },
    {
      cause: "ENDPOINT_REJECTED", title: "The registry owner rejected that endpoint's connection",
      breakIt: async () => {
        const r = await cli.run(["acr", "private-endpoint-connection", "reject", "-r", "pendingacr", "-g", RG, "-n", await connectionOf(lz, "pendingacr"), "-o", "none"]);
        if (r.code !== 0) throw new Error(`reject failed: ${r.stderr}`);
      },
      check: () => ({ args: ["-n", "pendingacr", "--source-address", BUILD_AGENT] }),
    },
    {
      cause: "ENDPOINT_DISCONNECTED", title: "The registry owner deleted the connection: the endpoint stays, disconnected",
      breakIt: async () => {
        const r = await cli.run(["acr", "private-endpoint-connection", "delete", "-r", "pendingacr", "-g", RG, "-n", await connectionOf(lz, "pendingacr")]);
        if (r.code !== 0) throw new Error(`connection delete failed: ${r.stderr}`);
      },
      check: () => ({ args: ["-n", "pendingacr", "--source-address", BUILD_AGENT] }),
    },
    {
      cause: "SKU_UNSUPPORTED", title: "A Standard registry for a build spoke set up for private access",
      breakIt: async () => { await lz.acr.registries.beginCreateAndWait(RG, "standardacr", { location: "westeurope", sku: { name: "Standard" } }); },
      check: () => ({ args: ["-n", "standardacr", "--source-address", BUILD_AGENT] }),
    },
    { cause: "REGISTRY_NOT_FOUND", title: "A pipeline pointed at a registry nobody created", check: () => ({ args: ["-n", "releaseacr", "--source-address", LAPTOP] }) },
  ];
}

async function main() {
  const cove = await startCove();
  try {
    console.log("Building the landing zone: a Premium registry, a hub VNet with its private endpoint, a build-agent");
    console.log("spoke and an AKS spoke, both peered with the hub; the privatelink zone linked to the hub and the");
    console.log("build spoke; public access disabled.");
    const lz = await buildLandingZone(cove.cred, cove.ca);
    const cli = await loginCli(cove.dir, (line) => console.log(line));
    const kubelet = await sp(cli, "aks-kubelet");

    console.log(`\n== 0. The build agent (${BUILD_AGENT}) reaches ${REGISTRY} privately`);
    const base = await cli.preflight(["-n", REGISTRY, "--source-address", BUILD_AGENT]);
    if (base.code !== 0) throw new Error("the landing zone does not work to begin with");

    const all = modes(lz, cli, { kubelet });
    for (const [i, m] of all.entries()) {
      console.log(`\n== ${i + 1}. ${m.cause}: ${m.title}`);
      await m.breakIt?.();
      const check = m.check();
      const failed = await cli.preflight(check.args, { env: check.env });
      const expected = m.cause === "REGISTRY_NOT_FOUND" ? 3 : 5;
      if (failed.code !== expected || !failed.stdout.includes(`FAILED: ${m.cause}\n`)) throw new Error(`demo expectation failed: ${m.cause} (exit ${failed.code})`);
      if (failed.fixes.length === 0) throw new Error(`preflight printed no fix for ${m.cause}`);
      console.log("   the printed fix, run as printed:");
      const outs = await cli.runFixes(failed.fixes);
      const again = m.recheck?.(outs) ?? check;
      const passed = await cli.preflight(again.args, { env: again.env, verdictOnly: true });
      if (passed.code !== 0) throw new Error(`demo expectation failed: preflight still fails after the fix for ${m.cause}`);
      for (const r of m.restore ?? []) {
        console.log("   back to private-only for the rest of the demo:");
        await cli.step(r);
      }
    }
    console.log(`\nEvery failure mode named by preflight, with its fix, run as printed: ${all.map((m) => m.cause).join(", ")}.`);
  } finally {
    await cove.stop();
  }
}

main().catch((e) => { console.error(e instanceof Error ? e.message : e); process.exit(1); });
