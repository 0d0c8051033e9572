// Every ARM resource type Cove stores or names, defined once. The strings are ARM's, as written
// (`Microsoft.Network/privateEndpoints`); records keep them case-preserved, lookups compare them
// case-insensitively (ARM type names are case-insensitive).

export const RESOURCE_GROUP_TYPE = "Microsoft.Resources/resourceGroups";

export const REGISTRY_TYPE = "Microsoft.ContainerRegistry/registries";
export const PEC_TYPE = "Microsoft.ContainerRegistry/registries/privateEndpointConnections";
export const PLR_TYPE = "Microsoft.ContainerRegistry/registries/privateLinkResources";
export const REPLICATION_TYPE = "Microsoft.ContainerRegistry/registries/replications";

export const VNET_TYPE = "Microsoft.Network/virtualNetworks";
export const SUBNET_TYPE = "Microsoft.Network/virtualNetworks/subnets";
export const PEERING_TYPE = "Microsoft.Network/virtualNetworks/virtualNetworkPeerings";
export const PRIVATE_ENDPOINT_TYPE = "Microsoft.Network/privateEndpoints";
/** The inline `privateLinkServiceConnections` entries of a private endpoint (not stored on their own). */
export const PE_CONNECTION_TYPE = "Microsoft.Network/privateEndpoints/privateLinkServiceConnections";
export const NIC_TYPE = "Microsoft.Network/networkInterfaces";
/** The inline `ipConfigurations` entries of a network interface (not stored on their own). */
export const NIC_IP_CONFIGURATION_TYPE = "Microsoft.Network/networkInterfaces/ipConfigurations";

export const ZONE_TYPE = "Microsoft.Network/privateDnsZones";
export const A_RECORD_SET_TYPE = "Microsoft.Network/privateDnsZones/A";
export const LINK_TYPE = "Microsoft.Network/privateDnsZones/virtualNetworkLinks";
export const ZONE_GROUP_TYPE = "Microsoft.Network/privateEndpoints/privateDnsZoneGroups";

export const ROLE_ASSIGNMENT_TYPE = "Microsoft.Authorization/roleAssignments";
export const ROLE_DEFINITION_TYPE = "Microsoft.Authorization/roleDefinitions";

/** True when a stored record's type is `type` (ARM compares type names without case). */
export const isType = (recordType: string, type: string): boolean => recordType.toLowerCase() === type.toLowerCase();
