// What the operator's toolkit computes from: ARM resource documents, one list per type, exactly as
// an ARM endpoint answers GET and list (Cove's, or Azure's). Nothing here is read from Cove's
// internals: the CLI fills it through the official SDK clients (cli/toolkit/collect.ts), the server
// from its stored records, which are the same documents. Inline arrays (a VNet's subnets and
// peerings, a registry's privateEndpointConnections) are flattened into their own lists by the
// reader, since they are resources with their own ids.

/** One ARM resource document: `id`, `name`, `type`, `location`, `properties`, ... as served. */
export type ArmJson = Record<string, any>;

/** A principal as the directory names it (Cove's identity API; Microsoft Graph for Azure). */
export interface PrincipalInfo {
  /** Object id: what role assignments carry as `principalId`. */
  objectId: string;
  appId?: string;
  displayName?: string;
}

export interface ArmInventory {
  registries: ArmJson[];
  /** Microsoft.ContainerRegistry/registries/privateEndpointConnections. */
  connections: ArmJson[];
  virtualNetworks: ArmJson[];
  subnets: ArmJson[];
  peerings: ArmJson[];
  privateEndpoints: ArmJson[];
  networkInterfaces: ArmJson[];
  /** Microsoft.Network/privateEndpoints/privateDnsZoneGroups. */
  zoneGroups: ArmJson[];
  privateDnsZones: ArmJson[];
  /** Microsoft.Network/privateDnsZones/A record sets. */
  aRecordSets: ArmJson[];
  virtualNetworkLinks: ArmJson[];
  roleAssignments: ArmJson[];
  /** Custom role definitions; built-in ones are known by their GUIDs. */
  roleDefinitions: ArmJson[];
  principals: PrincipalInfo[];
  /** Lists the reader was not allowed to read (left empty), e.g. "roleAssignments". */
  unreadable?: string[];
}

export function emptyInventory(): ArmInventory {
  return {
    registries: [], connections: [], virtualNetworks: [], subnets: [], peerings: [], privateEndpoints: [],
    networkInterfaces: [], zoneGroups: [], privateDnsZones: [], aRecordSets: [], virtualNetworkLinks: [],
    roleAssignments: [], roleDefinitions: [], principals: [],
  };
}

/** Adds the inline children of VNets (subnets, peerings) and registries (connections) that are not listed yet. */
export function withInlineChildren(inv: ArmInventory): ArmInventory {
  const known = (list: ArmJson[]) => new Set(list.map((x) => String(x.id ?? "").toLowerCase()));
  const add = (list: ArmJson[], items: unknown) => {
    const seen = known(list);
    for (const x of Array.isArray(items) ? (items as ArmJson[]) : []) {
      const id = String(x?.id ?? "").toLowerCase();
      if (id && !seen.has(id)) { list.push(x); seen.add(id); }
    }
  };
  const out = { ...inv, subnets: [...inv.subnets], peerings: [...inv.peerings], connections: [...inv.connections] };
  for (const v of inv.virtualNetworks) {
    add(out.subnets, v.properties?.subnets);
    add(out.peerings, v.properties?.virtualNetworkPeerings);
  }
  for (const r of inv.registries) add(out.connections, r.properties?.privateEndpointConnections);
  return out;
}
