// Per-connection DNS status (issue 12, Private access): do the privatelink zone's A records exist
// and point at this endpoint's IPs, and which VNets is the zone linked to. Pure: the facts come in
// already read (one A-record list and one link list per zone, never a request per row), so the
// table of 200 connections is 200 Map lookups.
import { key, nameOf } from "./ids.js";

/**
 * The endpoint's (fqdn, ip) pairs: its customDnsConfigs, or else its NIC's ipConfigurations
 * (privateLinkConnectionProperties.fqdns + privateIPAddress), the two places Azure puts them.
 */
export function endpointNames(endpoint, nicsById) {
  const out = [];
  for (const c of endpoint?.properties?.customDnsConfigs ?? []) for (const ip of c.ipAddresses ?? []) out.push({ fqdn: c.fqdn, ip });
  if (out.length) return out;
  for (const ref of endpoint?.properties?.networkInterfaces ?? []) {
    const nic = nicsById.get(key(ref.id));
    for (const cfg of nic?.properties?.ipConfigurations ?? []) {
      const ip = cfg.properties?.privateIPAddress;
      for (const fqdn of cfg.properties?.privateLinkConnectionProperties?.fqdns ?? []) if (ip) out.push({ fqdn, ip });
    }
  }
  return out;
}

/**
 * The zones as lookup tables: name, A records by lower-cased relative name, linked VNet names.
 * @param {{zone: object, records: object[], links: object[]}[]} zones
 * @param {Map<string, object>} vnetsById
 */
export function zoneIndex(zones, vnetsById) {
  return zones.map(({ zone, records, links }) => ({
    name: String(zone.name).toLowerCase(),
    records: new Map(records.map((r) => [String(r.name).toLowerCase(), (r.properties?.aRecords ?? []).map((a) => a.ipv4Address)])),
    linkedTo: links.map((l) => vnetsById.get(key(l.properties?.virtualNetwork?.id))?.name ?? nameOf(l.properties?.virtualNetwork?.id)),
  }));
}

/**
 * The zone that serves an fqdn and the record's relative name in it: `demoacr.cove.test` (the name
 * clients ask) and `demoacr.privatelink.cove.test` are both served by `privatelink.cove.test` as
 * the record `demoacr`. The longest zone wins.
 */
function zoneFor(fqdn, zones) {
  const name = String(fqdn).toLowerCase().replace(/\.$/, "");
  let best = null;
  for (const z of zones) {
    const publicSuffix = z.name.replace(/^privatelink\./, "");
    for (const suffix of [z.name, publicSuffix]) {
      if (name.endsWith("." + suffix) && (!best || z.name.length > best.zone.name.length)) {
        best = { zone: z, rel: name.slice(0, -suffix.length - 1) };
      }
    }
  }
  return best;
}

const linked = (names) => (names.length ? `zone linked to ${[...new Set(names)].sort().join(", ")}` : "zone linked to no VNet");

/** "OK: ..." or "Problem: ...", in words a reader can act on. */
export function dnsStatus(pairs, zones) {
  if (!pairs.length) return { ok: false, text: "Problem: the endpoint has no private IPs with names" };
  const problems = [];
  const okBy = new Map();
  for (const { fqdn, ip } of pairs) {
    const hit = zoneFor(fqdn, zones);
    if (!hit) { problems.push(`no privatelink zone for ${fqdn}`); continue; }
    const record = `${hit.rel}.${hit.zone.name}`;
    const ips = hit.zone.records.get(hit.rel);
    if (!ips) problems.push(`no record for ${record}`);
    else if (!ips.includes(ip)) problems.push(`${record} points at ${ips.join(", ") || "no address"}, not ${ip}`);
    else okBy.set(hit.zone, (okBy.get(hit.zone) ?? 0) + 1);
  }
  const used = new Set([...okBy.keys()]);
  for (const { fqdn } of pairs) { const hit = zoneFor(fqdn, zones); if (hit) used.add(hit.zone); }
  const links = [...used].map((z) => linked(z.linkedTo)).join("; ");
  if (problems.length) return { ok: false, text: `Problem: ${problems.join("; ")}${links ? `; ${links}` : ""}` };
  const total = [...okBy.values()].reduce((a, b) => a + b, 0);
  const found = [...okBy].map(([z, n]) => `${n} record${n === 1 ? "" : "s"} in ${z.name}`).join(", ");
  return { ok: true, text: `OK: ${found} point${total === 1 ? "s" : ""} at this endpoint; ${links}` };
}
