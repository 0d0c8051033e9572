// The what-if result (network-policy/reachability/what-if.ts, served at {registry}/whatIf) in words
// for the confirmation dialog: which networks gain access, which lose it, which change path. A
// network is named `<vnet>/<subnet> (<prefix>)`, the prefix read from the VNet list the page holds.
import { key } from "./ids.js";

/** Subnet prefixes by lower-cased subnet id, from the VNets' inline subnets. */
export function subnetPrefixes(vnetsById) {
  const m = new Map();
  for (const v of vnetsById.values()) {
    for (const s of v.properties?.subnets ?? []) {
      const p = s.properties?.addressPrefix ?? s.properties?.addressPrefixes?.join(", ");
      if (p) m.set(key(s.id), p);
    }
  }
  return m;
}

/** @returns {string[]} sentences, the first the headline */
export function impactWords(result, prefixes) {
  const gain = [];
  const lose = [];
  const moved = [];
  for (const reg of result.registries ?? []) {
    for (const c of reg.changes ?? []) {
      const where = c.vnetId ? `${c.vnet}/${c.subnet}` : "internet";
      const label = `${where} (${prefixes.get(key(c.subnetId)) ?? c.address})`;
      if (c.before === "deny" && c.after === "allow") gain.push(label);
      else if (c.before === "allow" && c.after === "deny") lose.push(label);
      else moved.push(`${label}: ${c.beforePath} -> ${c.afterPath}`);
    }
  }
  const out = [];
  if (gain.length) out.push(`These networks gain access: ${gain.join(", ")}`);
  if (lose.length) out.push(`These networks lose access: ${lose.join(", ")}`);
  if (moved.length) out.push(`These networks change path: ${moved.join(", ")}`);
  if (!out.length) out.push("No network's access changes");
  for (const n of result.notes ?? []) out.push(n);
  return out;
}
