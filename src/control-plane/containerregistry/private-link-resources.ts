// Microsoft.ContainerRegistry/registries/privateLinkResources: list and get. A registry has one
// group, `registry`, whose required members are the registry endpoint, the data endpoint of its
// home region and one more per geo-replica (as Azure), and whose DNS zone is
// `privatelink.<login server suffix>` (acr-networking.md 1.4, 3).

import type { ResourceRecord } from "../../storage/types.js";
import type { ArmCall, ArmResult } from "../arm/types.js";
import { armError } from "../arm/errors.js";
import { assertSubscription, getRegistry } from "../arm/scopes.js";
import { PLR_TYPE } from "../../domain/resource-types.js";
import { replicaLocations } from "./replication-records.js";
import { requiredMembers } from "../network/private-endpoints.js";

export const PLR_READ = "Microsoft.ContainerRegistry/registries/privateLinkResources/read";

function resource(registry: ResourceRecord, replicas: string[], suffix: string) {
  return {
    id: `${registry.id}/privateLinkResources/registry`,
    name: "registry",
    type: PLR_TYPE,
    properties: {
      groupId: "registry",
      requiredMembers: requiredMembers(registry, replicas),
      requiredZoneNames: [`privatelink.${suffix}`],
    },
  };
}

export async function listPrivateLinkResources(c: ArmCall): Promise<ArmResult> {
  assertSubscription(c.deps, c.params.subscriptionId!);
  const registry = await getRegistry(c.deps, c.params.resourceGroupName!, c.params.registryName!);
  return { status: 200, body: { value: [resource(registry, await replicaLocations(c.deps.meta, registry.id), c.deps.loginServerSuffix)] } };
}

export async function getPrivateLinkResource(c: ArmCall): Promise<ArmResult> {
  assertSubscription(c.deps, c.params.subscriptionId!);
  const registry = await getRegistry(c.deps, c.params.resourceGroupName!, c.params.registryName!);
  if (c.params.groupName!.toLowerCase() !== "registry") {
    throw armError("ResourceNotFound", { type: PLR_TYPE, name: `${c.params.registryName}/${c.params.groupName}`, resourceGroup: c.params.resourceGroupName! });
  }
  return { status: 200, body: resource(registry, await replicaLocations(c.deps.meta, registry.id), c.deps.loginServerSuffix) };
}
