// Route table of Microsoft.ContainerRegistry: registries, their admin credentials, and private link on
// the registry side (privateEndpointConnections, privateLinkResources). One line per operation, as
// every provider's table. Approving or rejecting a connection needs the approval action on the registry.
import { authenticated, requires, route, type Route } from "../arm/router.js";
import {
  CHECK_NAME, REG_DELETE, REG_LIST_CREDENTIALS, REG_READ, REG_REGENERATE_CREDENTIAL, REG_WRITE, checkNameAvailability,
  deleteRegistry, getRegistryHandler, listCredentials, listRegistriesInGroup, listRegistriesInSubscription, patchRegistry,
  putRegistry, regenerateCredential,
} from "./registries.js";
import { PEC_APPROVAL, PEC_DELETE, PEC_READ, deleteConnection, getConnection, listConnections, putConnection } from "./private-endpoint-connections.js";
import { PLR_READ, getPrivateLinkResource, listPrivateLinkResources } from "./private-link-resources.js";
import { getNetworkReport } from "./network-report.js";
import { REPLICATION_DELETE, REPLICATION_READ, REPLICATION_WRITE, deleteReplication, getReplication, listReplications, patchReplication, putReplication } from "./replications.js";
import { postWhatIf } from "./network-what-if.js";
import { getPublicAccessReadiness } from "./public-access-readiness.js";
import { registryId, subscriptionId } from "../../domain/resource-ids.js";

const SUB = "/subscriptions/{subscriptionId}";
const RG = `${SUB}/resourcegroups/{resourceGroupName}`;
const REG = `${RG}/providers/Microsoft.ContainerRegistry/registries/{registryName}`;

const sub = (p: Record<string, string>) => subscriptionId(p.subscriptionId!);
const reg = (p: Record<string, string>) => registryId(p.subscriptionId!, p.resourceGroupName!, p.registryName!);

export const ACR = "Microsoft.ContainerRegistry";

export const CONTAINER_REGISTRY_ROUTES: Route[] = [
  route("GET", `${SUB}/providers/${ACR}/registries`, ACR, "registries", authenticated, {}, listRegistriesInSubscription),
  route("POST", `${SUB}/providers/${ACR}/checkNameAvailability`, ACR, "checkNameAvailability", requires(CHECK_NAME, sub), { body: true }, checkNameAvailability),
  route("GET", `${RG}/providers/${ACR}/registries`, ACR, "registries", authenticated, {}, listRegistriesInGroup),
  route("PUT", REG, ACR, "registries", requires(REG_WRITE, reg), { audit: true, body: true }, putRegistry),
  route("PATCH", REG, ACR, "registries", requires(REG_WRITE, reg), { audit: true, body: true }, patchRegistry),
  route("GET", REG, ACR, "registries", requires(REG_READ, reg), {}, getRegistryHandler),
  route("DELETE", REG, ACR, "registries", requires(REG_DELETE, reg), { audit: true }, deleteRegistry),
  route("POST", `${REG}/listCredentials`, ACR, "registries/listCredentials", requires(REG_LIST_CREDENTIALS, reg), { audit: true }, listCredentials),
  route("POST", `${REG}/regenerateCredential`, ACR, "registries/regenerateCredential", requires(REG_REGENERATE_CREDENTIAL, reg), { audit: true, body: true }, regenerateCredential),

  route("GET", `${REG}/privateEndpointConnections`, ACR, "registries/privateEndpointConnections", requires(PEC_READ, reg), {}, listConnections),
  route("GET", `${REG}/privateEndpointConnections/{privateEndpointConnectionName}`, ACR, "registries/privateEndpointConnections", requires(PEC_READ, reg), {}, getConnection),
  route("PUT", `${REG}/privateEndpointConnections/{privateEndpointConnectionName}`, ACR, "registries/privateEndpointConnections", requires(PEC_APPROVAL, reg), { audit: true, body: true }, putConnection),
  route("DELETE", `${REG}/privateEndpointConnections/{privateEndpointConnectionName}`, ACR, "registries/privateEndpointConnections", requires(PEC_DELETE, reg), { audit: true }, deleteConnection),
  route("GET", `${REG}/privateLinkResources`, ACR, "registries/privateLinkResources", requires(PLR_READ, reg), {}, listPrivateLinkResources),
  route("GET", `${REG}/privateLinkResources/{groupName}`, ACR, "registries/privateLinkResources", requires(PLR_READ, reg), {}, getPrivateLinkResource),
  route("GET", `${REG}/replications`, ACR, "registries/replications", requires(REPLICATION_READ, reg), {}, listReplications),
  route("GET", `${REG}/replications/{replicationName}`, ACR, "registries/replications", requires(REPLICATION_READ, reg), {}, getReplication),
  route("PUT", `${REG}/replications/{replicationName}`, ACR, "registries/replications", requires(REPLICATION_WRITE, reg), { audit: true, body: true }, putReplication),
  route("PATCH", `${REG}/replications/{replicationName}`, ACR, "registries/replications", requires(REPLICATION_WRITE, reg), { audit: true, body: true }, patchReplication),
  route("DELETE", `${REG}/replications/{replicationName}`, ACR, "registries/replications", requires(REPLICATION_DELETE, reg), { audit: true }, deleteReplication),
  // Cove extension: the reachability matrix (docs/management-api.md), readable like the registry.
  route("GET", `${REG}/networkReport`, ACR, "registries/networkReport", requires(REG_READ, reg), {}, getNetworkReport),
  // Cove extension: what a network change would do to reachability, computed, nothing changed.
  route("POST", `${REG}/whatIf`, ACR, "registries/whatIf", requires(REG_READ, reg), { body: true }, postWhatIf),
  // Cove extension: who would break if public access were disabled; the handler also demands audit read.
  route("GET", `${REG}/publicAccessReadiness`, ACR, "registries/publicAccessReadiness", requires(REG_READ, reg), {}, getPublicAccessReadiness),
];
