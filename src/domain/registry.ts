// The registry as both planes see it: a view over the stored ARM resource
// (Microsoft.ContainerRegistry/registries). The control plane owns the resource; the data plane
// only reads this view (through the state view, src/state/), so the two can never disagree.

import { registryHost } from "./resource-ids.js";
import { REGISTRY_TYPE } from "./resource-types.js";
import type { ReplicaView } from "./replication.js";

export type SkuName = "Basic" | "Standard" | "Premium" | "Classic";

export interface RegistryView {
  /** Resource id, lower-cased: the key of all registry content in the MetadataStore. */
  key: string;
  /** Resource id as created (case preserved). */
  id: string;
  name: string;
  location: string;
  sku: SkuName;
  /** e.g. "myreg.cove.test:8444" (port omitted when 443). */
  loginServer: string;
  adminUserEnabled: boolean;
  anonymousPullEnabled: boolean;
  publicNetworkAccess: "Enabled" | "Disabled";
  dataEndpointEnabled: boolean;
  /** Geo-replicas (the home region excluded), from the stored `replications` (state/read-facts.ts). */
  replicas: readonly ReplicaView[];
}

/** Registry names as Azure: 5-50 alphanumerics. */
export const REGISTRY_NAME = /^[a-zA-Z0-9]{5,50}$/;

export function loginServerFor(name: string, suffix: string, port: number): string {
  const host = registryHost(name, suffix);
  return port === 443 ? host : `${host}:${port}`;
}

/** Builds the view from a stored registry resource body (ARM shape, nested `properties`). */
export function registryViewFrom(id: string, body: Record<string, any>, replicas: readonly ReplicaView[] = []): RegistryView {
  const p = body.properties ?? {};
  return {
    key: id.toLowerCase(),
    id,
    name: String(body.name),
    location: String(body.location ?? ""),
    sku: (body.sku?.name ?? "Basic") as SkuName,
    loginServer: String(p.loginServer ?? ""),
    adminUserEnabled: p.adminUserEnabled === true,
    anonymousPullEnabled: p.anonymousPullEnabled === true,
    publicNetworkAccess: p.publicNetworkAccess === "Disabled" ? "Disabled" : "Enabled",
    dataEndpointEnabled: p.dataEndpointEnabled === true,
    replicas,
  };
}
