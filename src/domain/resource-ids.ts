// How ARM ids and Cove's host names are spelled, each built in exactly one place. Ids keep ARM's
// casing (`resourceGroups`, provider namespaces as registered) and the case the caller gave names;
// host names are lower-case, as DNS compares them (RFC 4343) and as a Host header arrives.

export const subscriptionId = (s: string) => `/subscriptions/${s}`;
export const resourceGroupId = (s: string, rg: string) => `/subscriptions/${s}/resourceGroups/${rg}`;
const provider = (s: string, rg: string, namespace: string) => `${resourceGroupId(s, rg)}/providers/${namespace}`;

export const registryId = (s: string, rg: string, name: string) => `${provider(s, rg, "Microsoft.ContainerRegistry")}/registries/${name}`;
/** A Microsoft.Network resource id: `type` is the collection segment (`virtualNetworks`, `privateEndpoints`, ...). */
export const networkId = (s: string, rg: string, type: string, name: string) => `${provider(s, rg, "Microsoft.Network")}/${type}/${name}`;
export const privateEndpointId = (s: string, rg: string, pe: string) => networkId(s, rg, "privateEndpoints", pe);
export const zoneId = (s: string, rg: string, zone: string) => networkId(s, rg, "privateDnsZones", zone);

/** The parent of a child id, `levels` generations up (`.../virtualNetworks/v/subnets/s` -> `.../virtualNetworks/v`). */
export const parentOf = (id: string, levels = 1) => id.split("/").slice(0, -2 * levels).join("/");

/** A registry's login server host: `<name>.<suffix>`, lower-case, no port. */
export const registryHost = (name: string, suffix: string) => `${name}.${suffix}`.toLowerCase();

/** A registry's dedicated data endpoint host: `<name>.<location>.data.<suffix>`, lower-case, no port (ACR's form). */
export const dataEndpointHost = (name: string, location: string, suffix: string) => `${name}.${location}.data.${suffix}`.toLowerCase();

/** The certificate name that covers every data endpoint of one location: `*.<location>.data.<suffix>`. */
export const dataEndpointWildcard = (location: string, suffix: string) => `*.${location}.data.${suffix}`.toLowerCase();
