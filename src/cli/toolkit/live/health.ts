// `cove acr check-health`: az's checks in az's order (acr-networking.md 4.4), then Cove's. The
// environment checks (Docker, Helm, Notary) are about the machine's tools, which Cove does not
// look at: they are reported skipped, never failed. The registry checks run from the client's
// network path: one live walk (observe.ts) from --source-address (or the machine's own address),
// asking the DNS server from there. Cove's checks then read the ARM resources (collect.ts, model.ts)
// and name the one root cause with diagnose.ts, as preflight does.
import { readFile } from "node:fs/promises";
import { buildModel } from "../../../network-policy/reachability/model.js";
import { diagnose } from "../../../network-policy/reachability/diagnose.js";
import { emptyInventory, type ArmJson } from "../../../network-policy/reachability/inventory.js";
import type { CommandContext } from "../../command.js";
import { CliError, usageError } from "../../errors.js";
import { registryGroup } from "../../commands/acr.js";
import { packageVersion } from "../../version.js";
import { collectInventory } from "../collect.js";
import { dnsServerFor } from "../sources.js";
import { resolveA } from "./dns.js";
import { observeLive } from "./observe.js";
import { azError, FAQ_MESSAGE, healthLog, type HealthLog } from "./health-log.js";
import { azureChecks } from "./health-azure.js";
import { vnetCheck } from "./health-vnet.js";
import { coveChecks, diagnosisLines } from "./health-cove.js";

export interface HealthOptions {
  name?: string;
  resourceGroup?: string;
  vnet?: string;
  sourceAddress?: string;
  dnsServer?: string;
  ignoreErrors?: boolean;
  /** Per live step (default 3000). */
  timeoutMs?: number;
}

const IMAGE = "mcr.microsoft.com/mcr/hello-world:latest";

function environment(log: HealthLog): void {
  log.line("Docker daemon status: skipped (Cove does not check a local Docker installation)");
  log.line("Docker version: skipped");
  log.line(`Docker pull of '${IMAGE}' : skipped`);
  log.line(`Cove CLI version: ${packageVersion()}`);
}

function tools(log: HealthLog): void {
  log.line("Helm version: skipped (Cove does not check a local Helm installation)");
  log.line("Notary version: skipped (Cove does not check a local Notary installation)");
}

function isNotFound(e: unknown): boolean {
  const x = e as { exitCode?: number; statusCode?: number; code?: string };
  return (e instanceof CliError && x.exitCode === 3) || x.statusCode === 404 || x.code === "ResourceNotFound";
}

export async function checkHealth(ctx: CommandContext, o: HealthOptions): Promise<void> {
  const log = healthLog(ctx, o.ignoreErrors === true);
  const timeoutMs = o.timeoutMs ?? 3000;
  environment(log);
  if (!o.name) {
    log.line("Registry name must be provided to check connectivity.");
    if (o.vnet) throw new CliError("Registry name must be provided to verify DNS routings of its private endpoints");
    tools(log);
    log.line(FAQ_MESSAGE);
    return;
  }
  const s = await ctx.session();
  // The ARM resources for Cove's checks are read while az's checks run.
  const inventory = collectInventory(s).then((inv) => ({ inv }), (error: unknown) => ({ error }));

  let registry: ArmJson;
  try {
    const group = await registryGroup(s, o.name, o.resourceGroup);
    registry = (await s.acr().registries.get(group, o.name)) as unknown as ArmJson;
  } catch (e) {
    if (!isNotFound(e)) throw e;
    log.error(azError("LOGIN_SERVER_ERROR", o.name));
    return; // az returns here, with --ignore-errors too
  }
  const loginServer = String(registry.loginServer ?? "").replace(/\/+$/, "");
  const m = /^([^:]+)(?::(\d+))?$/.exec(loginServer);
  if (!m) throw new CliError(`The registry's login server '${loginServer}' is not a host name.`);
  const dnsServer = await dnsServerFor(o.dnsServer, s.profile.dnsServer);
  let ca: Buffer | undefined;
  if (s.profile.caCertPath) {
    try { ca = await readFile(s.profile.caCertPath); } catch (e) { throw usageError(`Cannot read the CA certificate '${s.profile.caCertPath}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`); }
  }
  const live = await observeLive({
    host: m[1]!.toLowerCase(), port: m[2] ? Number(m[2]) : 443, source: o.sourceAddress, dnsServer, ca,
    login: { kind: "aad", credential: s.credential, tenantId: s.profile.tenantId }, push: false, timeoutMs,
  });
  ctx.debug(`live steps from ${live.source}: ${live.steps.map((x) => `${x.name}=${x.result}`).join(" ")}`);

  // Cove's verdict first, so an az error that ends the command can carry the root cause.
  const got = await inventory;
  const model = "inv" in got ? buildModel(got.inv) : undefined;
  const reg = model?.registry(String(registry.id));
  let cove: (() => void) | undefined;
  if (model && reg) {
    const obs = live.observation;
    if (reg.dataHost) {
      obs.dataHost = reg.dataHost;
      obs.dataDns = (await resolveA(dnsServer, reg.dataHost, live.source || undefined, timeoutMs)).seen;
    }
    const who = model.principal(s.profile.clientId);
    const dopts = { push: false, identity: { appId: s.profile.clientId, displayName: who?.displayName } };
    const verdict = diagnose(model, reg, obs, dopts);
    log.diagnosis = diagnosisLines(verdict);
    cove = () => coveChecks(log, { model, reg, obs, verdict, appId: s.profile.clientId });
  }

  azureChecks(log, { loginServer, registryName: o.name, live });
  // CMK: az checks the identity of a customer-managed key; Cove's registries carry none, and az
  // prints nothing for a registry without one.
  if (o.vnet) {
    const inv = "inv" in got ? got.inv : emptyInventory();
    const raw = inv.registries.find((r) => String(r.id).toLowerCase() === String(registry.id).toLowerCase()) ?? registry;
    await vnetCheck(log, { registryName: o.name, registry: raw, inventory: inv, vnet: o.vnet, source: live.source || undefined, dnsServer, timeoutMs });
  }
  tools(log);
  if (cove) cove();
  else log.line(`Cove's checks: skipped (the ARM resources could not be read: ${"error" in got ? String((got.error as Error)?.message ?? got.error).split("\n")[0] : "the registry is not in the listing"})`);
  log.line(FAQ_MESSAGE);
}
