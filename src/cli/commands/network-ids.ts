// Resource ids of the `network` commands. Like az, a flag that takes "name or id" builds the id in
// the command's own subscription and resource group when given a name (`--remote-vnet hub`,
// `--private-dns-zone privatelink.azurecr.io`), and takes a full id as it is. The parser checks
// the value's form up front, so a malformed id exits 2 before login is even looked at.
import { InvalidArgumentError } from "commander";
import type { Session } from "../session.js";

/**
 * Parser for a flag taking the name or the id of a Microsoft.Network `type` ("virtualNetworks",
 * "virtualNetworks/subnets", "privateDnsZones"); names are checked with `parseName`.
 */
export function nameOrIdOf(type: string, parseName: (v: string) => string): (v: string) => string {
  const want = new RegExp(`^/subscriptions/[^/\\s]+/resourceGroups/[^/\\s]+/providers/Microsoft\\.Network/${type.split("/").map((t) => `${t}/[^/\\s]+`).join("/")}$`, "i");
  return (v: string) => {
    if (!v.startsWith("/")) return parseName(v);
    if (!want.test(v)) throw new InvalidArgumentError(`Expected a name or the id of a Microsoft.Network/${type} resource.`);
    return v;
  };
}

export function networkId(s: Session, group: string, type: string, name: string): string {
  return `/subscriptions/${s.profile.subscriptionId}/resourceGroups/${group}/providers/Microsoft.Network/${type}/${name}`;
}

/** The id for a value accepted by nameOrIdOf(type). */
export function toId(s: Session, value: string, group: string, type: string): string {
  return value.startsWith("/") ? value : networkId(s, group, type, value);
}

