// The facts a network snapshot is built from: plain, lower-cased data, nothing but strings, numbers,
// booleans, arrays and plain objects, so that they can be posted to a worker thread (structured
// clone) and rebuilt there into the same snapshot by the same pure function (snapshot.ts).
// Who gathers them is not policy's business: src/state/ reads the stored records and hands them
// over; tests write them by hand.

import type { Cidr } from "../domain/network.js";
import type { EndpointAddress, LinkView, RegistryNetwork } from "./types.js";

export interface SubnetFact {
  cidr: Cidr;
  vnetId: string; // lower-cased
  subnetId: string; // lower-cased
}

/** One A record set of a private zone: relative name (lower-case, "@" for the apex). */
export interface RecordSetFact {
  name: string;
  ttl: number;
  ips: string[];
}

export interface ZoneFact {
  id: string; // lower-cased resource id
  name: string; // lower-case zone name
  records: RecordSetFact[];
}

export interface LinkFact {
  vnetId: string; // the linked VNet, lower-cased
  link: LinkView;
}

export interface NetworkFacts {
  /** In id order, so that ties (the same prefix in two VNets) resolve the same way on every rebuild. */
  subnets: SubnetFact[];
  /** Directed edges "local vnet" -> "remote vnet" of Connected peerings. */
  peerings: Array<[string, string]>;
  endpoints: EndpointAddress[];
  registries: RegistryNetwork[];
  /** In id order: with two zones of one name, zone(name) is the first. */
  zones: ZoneFact[];
  links: LinkFact[];
}

/** The facts of an empty store. */
export function noNetworkFacts(): NetworkFacts {
  return { subnets: [], peerings: [], endpoints: [], registries: [], zones: [], links: [] };
}
