// Route table of Microsoft.Resources: cloud metadata, tenants, subscriptions, resource groups and the
// generic resource lists. One line per operation: provider (which api-versions it accepts), the
// permission it requires at which scope, and whether it is audited.
import { anonymous, authenticated, requires, route, type Route } from "../arm/router.js";
import { getCloudMetadata, getSubscription, listSubscriptions, listTenants } from "./subscriptions.js";
import {
  RG_DELETE, RG_READ, RG_WRITE, deleteResourceGroup, getResourceGroupHandler, headResourceGroup, listResourceGroups,
  patchResourceGroup, putResourceGroup,
} from "./resource-groups.js";
import { listResources } from "./generic-resources.js";
import { resourceGroupId } from "../../domain/resource-ids.js";

const SUB = "/subscriptions/{subscriptionId}";
const RG = `${SUB}/resourcegroups/{resourceGroupName}`;
const rg = (p: Record<string, string>) => resourceGroupId(p.subscriptionId!, p.resourceGroupName!);

export const R = "Microsoft.Resources";

export const RESOURCES_ROUTES: Route[] = [
  route("GET", "/metadata/endpoints", "metadata", "metadata", anonymous, {}, getCloudMetadata),
  route("GET", "/tenants", R, "tenants", authenticated, {}, listTenants),
  route("GET", "/subscriptions", R, "subscriptions", authenticated, {}, listSubscriptions),
  route("GET", SUB, R, "subscriptions", authenticated, {}, getSubscription),
  route("GET", `${SUB}/resourcegroups`, R, "resourceGroups", authenticated, {}, listResourceGroups),
  route("PUT", RG, R, "resourceGroups", requires(RG_WRITE, rg), { audit: true, body: true }, putResourceGroup),
  route("PATCH", RG, R, "resourceGroups", requires(RG_WRITE, rg), { audit: true, body: true }, patchResourceGroup),
  route("GET", RG, R, "resourceGroups", requires(RG_READ, rg), {}, getResourceGroupHandler),
  route("HEAD", RG, R, "resourceGroups", requires(RG_READ, rg), {}, headResourceGroup),
  route("DELETE", RG, R, "resourceGroups", requires(RG_DELETE, rg), { audit: true }, deleteResourceGroup),
  route("GET", `${SUB}/resources`, R, "resources", authenticated, {}, listResources),
  route("GET", `${RG}/resources`, R, "resources", authenticated, {}, listResources),
];
