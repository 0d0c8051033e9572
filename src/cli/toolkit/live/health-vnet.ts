// `check-health --vnet V`: az's DNS-routing check (acr/check_health.py `_check_private_endpoint`).
// For each private endpoint of the registry whose subnet is in V, the NIC's ipConfigurations map
// each fqdn (privateLinkConnectionProperties.fqdns[0]) to its private IP; each fqdn is then
// resolved and compared. az resolves with the machine's resolver; Cove asks the DNS server from the
// client's source address, so the answer is the one that client's network gets. The errors are
// az's plain CLIErrors (exit 1 even with --ignore-errors), the mismatches its warnings.
import type { ArmInventory, ArmJson } from "../../../network-policy/reachability/inventory.js";
import { CliError } from "../../errors.js";
import { EXIT_ERROR } from "../../exit-codes.js";
import { resolveA, type DnsServer } from "./dns.js";
import type { HealthLog } from "./health-log.js";

const VNET_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+$/i;
const lower = (v: unknown) => String(v ?? "").toLowerCase();
const fail = (message: string) => new CliError(message, EXIT_ERROR);

export interface VnetCheckInput {
  registryName: string | undefined;
  registry: ArmJson | undefined;
  inventory: ArmInventory;
  vnet: string;
  source?: string;
  dnsServer: DnsServer;
  timeoutMs: number;
}

/** A VNet name is taken in the registry's resource group and subscription, as az does. */
export function vnetIdFor(vnet: string, registryId: string): string {
  if (vnet.startsWith("/")) {
    if (!VNET_ID.test(vnet)) throw fail(`"${vnet}" is not a valid resource id of a virtual network`);
    return vnet;
  }
  const m = /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+)\//i.exec(registryId);
  return `${m?.[1] ?? ""}/providers/Microsoft.Network/virtualNetworks/${vnet}`;
}

export async function vnetCheck(log: HealthLog, i: VnetCheckInput): Promise<void> {
  if (!i.registryName || !i.registry) throw fail("Registry name must be provided to verify DNS routings of its private endpoints");
  const regKey = lower(i.registry.id);
  // The registry as ARM serves it (nested `properties`) or as the SDK flattens it.
  const inline = (i.registry.properties?.privateEndpointConnections ?? i.registry.privateEndpointConnections ?? []) as ArmJson[];
  const peIds = i.inventory.connections.concat(inline)
    .filter((c) => lower(c.id).startsWith(regKey + "/"))
    .map((c) => lower(c.properties?.privateEndpoint?.id ?? c.privateEndpoint?.id))
    .filter((id, n, all) => id && all.indexOf(id) === n);
  if (peIds.length === 0) throw fail(`Registry "${i.registryName}" doesn't have private endpoints to verify DNS routings.`);
  const vnetId = vnetIdFor(i.vnet, String(i.registry.id));

  const mappings = new Map<string, string>();
  for (const peId of peIds) {
    const pe = i.inventory.privateEndpoints.find((e) => lower(e.id) === peId);
    if (!pe || !lower(pe.properties?.subnet?.id).startsWith(lower(vnetId) + "/")) continue;
    const nicId = lower(pe.properties?.networkInterfaces?.[0]?.id);
    const nic = i.inventory.networkInterfaces.find((n) => lower(n.id) === nicId);
    for (const ipc of (nic?.properties?.ipConfigurations ?? []) as ArmJson[]) {
      const fqdn = ipc.properties?.privateLinkConnectionProperties?.fqdns?.[0];
      if (typeof fqdn !== "string") continue;
      if (mappings.has(fqdn)) throw fail(`Registry "${i.registryName}" has more than one private endpoint in the vnet of "${vnetId}". DNS routing will be unreliable`);
      mappings.set(fqdn, String(ipc.properties?.privateIPAddress ?? ""));
    }
  }
  if (mappings.size === 0) throw fail(`Registry "${i.registryName}" doesn't have private endpoints in the vnet of "${vnetId}". Please make sure you provided correct vnet`);

  let ok = true;
  for (const [fqdn, expected] of mappings) {
    const r = await resolveA(i.dnsServer, fqdn, i.source, i.timeoutMs);
    if (r.seen.kind === "address") {
      if (r.seen.ips[0] !== expected) {
        log.line(`DNS routing to registry "${i.registryName}" through private IP is incorrect. Expect: ${expected}, Actual: ${r.seen.ips[0]}`);
        ok = false;
      }
    } else {
      log.line(`Error resolving DNS for ${fqdn}. Ex: ${r.seen.kind === "failed" ? r.seen.message : r.seen.kind.toUpperCase()}`);
      ok = false;
    }
  }
  if (!ok) throw fail("DNS routing verification failed");
  log.pass("DNS routing to private endpoint");
}
