// ARM resource ids in the page: names and parents read off the id, case-insensitive keys for Maps
// (ARM ids compare case-insensitively; the API keeps the case of the first PUT).

export const key = (id) => String(id ?? "").toLowerCase();

export const nameOf = (id) => {
  const s = String(id ?? "");
  return s.slice(s.lastIndexOf("/") + 1);
};

/** `/.../virtualNetworks/<vnet>/subnets/<subnet>` -> {vnet, subnet, vnetId}, or null. */
export function subnetOf(id) {
  const m = /^(.*\/virtualNetworks\/([^/]+))\/subnets\/([^/]+)$/i.exec(String(id ?? ""));
  return m ? { vnetId: m[1], vnet: m[2], subnet: m[3] } : null;
}

/** Items by their lower-cased id: one lookup per row instead of a find over the list. */
export function byId(items) {
  const m = new Map();
  for (const x of items) m.set(key(x.id), x);
  return m;
}
