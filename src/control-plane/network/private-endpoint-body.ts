// Strict parsing of a Microsoft.Network/privateEndpoints PUT body (what @azure/arm-network 36
// sends: note the empty `"properties":{}` inside `subnet`, azure-sdk-clients.md 2). Read-only
// members a client may echo from a GET are tolerated and ignored. Pure: no storage.

import { armError } from "../arm/errors.js";
import { asLocation, asObject, asString, invalid, onlyKeys, optArray, optEnum, optObject, optString, optTags, type Json } from "../arm/strict-json.js";

export interface LinkRequest {
  name: string;
  privateLinkServiceId: string;
  requestMessage?: string;
  manual: boolean;
}

export interface StaticIpConfig {
  name: string;
  groupId: string;
  memberName: string;
  privateIPAddress: string;
}

export interface EndpointInput {
  location: string;
  tags?: Record<string, string>;
  subnetId: string;
  link: LinkRequest;
  staticConfigs: StaticIpConfig[];
  customNicName?: string;
}

const PROPS = [
  "subnet", "privateLinkServiceConnections", "manualPrivateLinkServiceConnections", "customNetworkInterfaceName", "ipConfigurations",
  "applicationSecurityGroups", "customDnsConfigs", "networkInterfaces", "provisioningState", "resourceGuid", "ipVersionType",
];

function parseLinks(v: unknown, path: string, manual: boolean): LinkRequest[] {
  return (optArray(v, path) ?? []).map((x, i) => {
    const at = `${path}[${i}]`;
    const o = asObject(x, at);
    onlyKeys(o, ["name", "id", "type", "etag", "properties"], at);
    const name = asString(o.name, `${at}.name`);
    const p = optObject(o.properties, `${at}.properties`) ?? {};
    onlyKeys(p, ["privateLinkServiceId", "groupIds", "requestMessage", "privateLinkServiceConnectionState", "provisioningState"], `${at}.properties`);
    const privateLinkServiceId = asString(p.privateLinkServiceId, `${at}.properties.privateLinkServiceId`);
    const groups = (optArray(p.groupIds, `${at}.properties.groupIds`) ?? []).map((g, j) => asString(g, `${at}.properties.groupIds[${j}]`));
    if (groups.length !== 1 || groups[0]!.toLowerCase() !== "registry") {
      throw armError("InvalidParameter", {
        target: `${at}.properties.groupIds`,
        reason: "A container registry has one private link group: groupIds must be [\"registry\"].",
      }, { target: `${at}.properties.groupIds` });
    }
    const requestMessage = optString(p.requestMessage, `${at}.properties.requestMessage`);
    if (requestMessage !== undefined && requestMessage.length > 140) invalid(`${at}.properties.requestMessage`, "The request message is limited to 140 characters.");
    return { name, privateLinkServiceId, requestMessage, manual };
  });
}

export function parseEndpointBody(body: Json): EndpointInput {
  onlyKeys(body, ["location", "tags", "properties", "id", "name", "type", "etag"], "");
  const location = asLocation(body.location);
  const tags = optTags(body.tags);
  const p = optObject(body.properties, "properties");
  if (!p) invalid("properties", "Required property 'properties' not found in JSON.");
  onlyKeys(p, PROPS, "properties");
  const subnet = optObject(p.subnet, "properties.subnet");
  if (!subnet) invalid("properties.subnet", "Required property 'subnet' not found in JSON.");
  onlyKeys(subnet, ["id", "properties", "name", "type", "etag"], "properties.subnet");
  const subnetId = asString(subnet.id, "properties.subnet.id");
  const links = [
    ...parseLinks(p.privateLinkServiceConnections, "properties.privateLinkServiceConnections", false),
    ...parseLinks(p.manualPrivateLinkServiceConnections, "properties.manualPrivateLinkServiceConnections", true),
  ];
  if (links.length !== 1) {
    throw armError("InvalidParameter", {
      target: "properties.privateLinkServiceConnections",
      reason: "A private endpoint has exactly one connection, in privateLinkServiceConnections or manualPrivateLinkServiceConnections.",
    }, { target: "properties.privateLinkServiceConnections" });
  }
  if ((optArray(p.applicationSecurityGroups, "properties.applicationSecurityGroups") ?? []).length > 0) {
    throw armError("InvalidParameter", { target: "properties.applicationSecurityGroups", reason: "Application security groups are not supported by Cove." }, { target: "properties.applicationSecurityGroups" });
  }
  const staticConfigs = (optArray(p.ipConfigurations, "properties.ipConfigurations") ?? []).map((x, i) => {
    const at = `properties.ipConfigurations[${i}]`;
    const o = asObject(x, at);
    onlyKeys(o, ["name", "id", "type", "etag", "properties"], at);
    const q = optObject(o.properties, `${at}.properties`) ?? {};
    onlyKeys(q, ["groupId", "memberName", "privateIPAddress"], `${at}.properties`);
    return {
      name: asString(o.name, `${at}.name`),
      groupId: optString(q.groupId, `${at}.properties.groupId`) ?? "",
      memberName: optString(q.memberName, `${at}.properties.memberName`) ?? "",
      privateIPAddress: asString(q.privateIPAddress, `${at}.properties.privateIPAddress`),
    };
  });
  // @azure/arm-network fills in its default "IPv4" on every PUT; Cove's endpoints are IPv4 only.
  if ((optEnum(p.ipVersionType, ["IPv4", "IPv6", "DualStack"] as const, "properties.ipVersionType") ?? "IPv4") !== "IPv4") {
    throw armError("InvalidParameter", { target: "properties.ipVersionType", reason: "Cove's private endpoints are IPv4 only." }, { target: "properties.ipVersionType" });
  }
  const customNicName = optString(p.customNetworkInterfaceName, "properties.customNetworkInterfaceName") || undefined;
  return { location, tags, subnetId, link: links[0]!, staticConfigs, customNicName };
}
