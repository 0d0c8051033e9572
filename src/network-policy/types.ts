// The network model as the wire sees it (DESIGN.md sections 4-5): one immutable snapshot of the
// stored records, from which BOTH the network decision (decide.ts) and the DNS views (dns/) are
// computed, so "what does N resolve" and "may N connect" can never disagree.
// Built by network-policy/snapshot.ts from plain facts (facts.ts); src/state/ gathers them from the
// store and rebuilds the snapshot after every committed write.

import type { Cidr } from "../domain/network.js";

export type ConnectionStatus = "Pending" | "Approved" | "Rejected" | "Disconnected";

/** Where a client is: the subnet whose prefix holds its address (longest prefix wins across all VNets). */
export interface Location {
  vnetId: string; // lower-cased resource id
  subnetId: string; // lower-cased resource id
}

/** One IP of one private endpoint (login-server member, home data member, one data member per geo-replica). */
export interface EndpointAddress {
  ip: string;
  endpointId: string; // lower-cased
  /** The private endpoint's own region (lower-case): which replica a client on this IP is routed to. */
  location: string;
  vnetId: string; // the endpoint's own VNet, lower-cased
  registryKey: string; // lower-cased registry resource id
  /** "registry" or "registry_data_<location>" (home or replica region) */
  member: string;
  /** The public name this IP serves: "<r>.<suffix>" or "<r>.<location>.data.<suffix>". */
  fqdn: string;
  status: ConnectionStatus;
}

export interface RegistryNetwork {
  key: string; // lower-cased registry resource id
  name: string; // lower-case
  location: string; // lower-case
  publicNetworkAccess: "Enabled" | "Disabled";
  defaultAction: "Allow" | "Deny";
  /** IPv4 addresses and CIDRs of networkRuleSet.ipRules, as stored. */
  ipRules: string[];
  dataEndpointEnabled: boolean;
  /** Regions with a data endpoint: the home region first, then each geo-replica's (lower-case). */
  dataLocations: string[];
}

export interface ZoneView {
  name: string; // lower-case, e.g. "privatelink.cove.test"
  /** Lower-cased resource id (two resource groups may hold zones of the same name). */
  id?: string;
  /** A records: relative name (lower-case, "@" for the apex) -> {ttl, ips}. */
  records: Map<string, { ttl: number; ips: string[] }>;
}

export interface LinkView {
  zone: string; // lower-case zone name
  /** Lower-cased resource id of the linked zone; resolve it with zoneById (zone(name) is ambiguous when two groups hold the same name). */
  zoneId?: string;
  resolutionPolicy: "Default" | "NxDomainRedirect";
}

export interface NetworkSnapshot {
  readonly suffix: string; // login-server suffix, e.g. "cove.test"
  readonly publicAddress: string;
  /** Monotonic: bumps on every rebuild (for caches). */
  readonly version: number;
  locate(ip: string): Location | undefined;
  /** True when both sides of a peering between the two VNets exist (peeringState Connected). */
  peered(vnetA: string, vnetB: string): boolean;
  endpointAt(ip: string): EndpointAddress | undefined;
  endpointAddresses(): EndpointAddress[];
  registryByKey(key: string): RegistryNetwork | undefined;
  registryByName(name: string): RegistryNetwork | undefined;
  /** Private DNS zones linked to a VNet, with each link's resolution policy. */
  linksOf(vnetId: string): LinkView[];
  zone(name: string): ZoneView | undefined;
  /** The zone by its lower-cased resource id (LinkView.zoneId). */
  zoneById?(id: string): ZoneView | undefined;
  /** Every subnet with its prefix, in id order (the lab routes them; src/lab/). */
  subnets?(): readonly { cidr: Cidr; vnetId: string; subnetId: string }[];
}

/** Which listener accepted the connection. */
export type Via =
  | { kind: "public"; address: string }
  | { kind: "private"; address: string };

export type DenyReason =
  | "public-network-access-disabled"
  | "ip-not-allowed"
  | "endpoint-not-approved"
  | "endpoint-unreachable-from-network"
  | "endpoint-of-another-registry"
  | "no-such-endpoint";

export type Decision =
  | { allow: true }
  | {
      allow: false;
      reason: DenyReason;
      /** What the client sees: 403 DENIED on the public endpoint, a dropped connection on a private IP. */
      effect: "forbidden" | "drop";
      /** The rule or state that decided, for audit and diagnosis (e.g. "publicNetworkAccess=Disabled"). */
      rule: string;
    };
