// Microsoft.Network/networkInterfaces: the NIC Azure creates for a private endpoint
// (`{pe}.nic.{guid}`, or the endpoint's customNetworkInterfaceName), read-only here (GET, list), as
// it is in Azure. One ipConfiguration per required member of the private link resource, each with
// its address and `privateLinkConnectionProperties{groupId, requiredMemberName, fqdns}`: the chain
// NIC -> IP -> DNS name that `az acr check-health --vnet` and the DNS zone groups follow.

import { randomUUID } from "node:crypto";
import type { ArmCall, ArmResult } from "../arm/types.js";
import { assertSubscription, getResourceGroup } from "../arm/scopes.js";
import type { Json } from "../arm/strict-json.js";
import { NIC_TYPE, NIC_IP_CONFIGURATION_TYPE } from "../../domain/resource-types.js";
import { getTyped, listTracked, networkEtag, notFoundTracked } from "../arm/resource-kit.js";
import { networkId } from "../../domain/resource-ids.js";

export const NIC_READ = "Microsoft.Network/networkInterfaces/read";

export interface NicMember {
  /** ipConfiguration name: the static one the endpoint asked for, else `privateEndpointIpConfig.<guid>`. */
  configName?: string;
  memberName: string;
  groupId: string;
  address: string;
  allocation: "Dynamic" | "Static";
  fqdns: string[];
}

/** One ipConfiguration of a private endpoint's NIC: one required member, its address and names. */
export function ipConfiguration(nicId: string, subnetId: string, m: NicMember, primary: boolean): Json {
  const name = m.configName ?? `privateEndpointIpConfig.${randomUUID()}`;
  return {
    id: `${nicId}/ipConfigurations/${name}`, name, type: NIC_IP_CONFIGURATION_TYPE, etag: networkEtag(),
    properties: {
      provisioningState: "Succeeded",
      privateIPAddress: m.address,
      privateIPAllocationMethod: m.allocation,
      privateIPAddressVersion: "IPv4",
      subnet: { id: subnetId },
      primary,
      privateLinkConnectionProperties: { groupId: m.groupId, requiredMemberName: m.memberName, fqdns: m.fqdns },
    },
  };
}

export function nicDocument(id: string, location: string, endpointId: string, subnetId: string, members: NicMember[]): Json {
  return {
    id, name: id.split("/").pop(), type: NIC_TYPE, location, etag: networkEtag(),
    properties: {
      provisioningState: "Succeeded",
      resourceGuid: randomUUID(),
      ipConfigurations: members.map((m, i) => ipConfiguration(id, subnetId, m, i === 0)),
      dnsSettings: { dnsServers: [], appliedDnsServers: [] },
      enableAcceleratedNetworking: false,
      vnetEncryptionSupported: false,
      enableIPForwarding: false,
      disableTcpStateTracking: false,
      hostedWorkloads: [],
      tapConfigurations: [],
      nicType: "Standard",
      privateEndpoint: { id: endpointId },
      auxiliaryMode: "None",
      auxiliarySku: "None",
    },
  };
}

export async function getNetworkInterface(c: ArmCall): Promise<ArmResult> {
  const s = assertSubscription(c.deps, c.params.subscriptionId!);
  const group = await getResourceGroup(c.deps, c.params.resourceGroupName!);
  const rec = await getTyped(c.deps.meta, networkId(s, String(group.body.name), "networkInterfaces", c.params.networkInterfaceName!), NIC_TYPE);
  if (!rec) notFoundTracked(NIC_TYPE, c.params.networkInterfaceName!, c.params.resourceGroupName!);
  return { status: 200, body: rec.body };
}

export const listNetworkInterfaces = listTracked(NIC_TYPE, NIC_READ);
