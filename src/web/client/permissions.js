// The rights the page checks before it offers a control (contract "Rights the page checks"), from
// the permissions API: ARM's rule, an action is allowed when some entry's actions match it and that
// same entry's notActions do not, with `*` as a wildcard, case-insensitive. A refused control names
// the built-in roles that would grant it, read from the roleDefinitions list, so the reason is
// actionable ("Needs Owner or Contributor (...)").

export const ACTIONS = {
  approve: "Microsoft.ContainerRegistry/registries/privateEndpointConnectionsApproval/action",
  remove: "Microsoft.ContainerRegistry/registries/privateEndpointConnections/delete",
  firewall: "Microsoft.ContainerRegistry/registries/write",
};

const patterns = new Map();
function pattern(p) {
  let re = patterns.get(p);
  if (!re) {
    re = new RegExp("^" + p.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\/]/g, "\\$&")).join(".*") + "$", "i");
    patterns.set(p, re);
  }
  return re;
}

const anyMatch = (list, action) => (list ?? []).some((p) => pattern(p).test(action));

/** @param {{actions?: string[], notActions?: string[]}[]} entries */
export function grants(entries, action) {
  return entries.some((e) => anyMatch(e.actions, action) && !anyMatch(e.notActions, action));
}

/** The broad roles first (the ones a reader knows), then the rest by name. */
const RANK = { owner: 0, contributor: 1 };
const byRank = (a, b) => (RANK[a.toLowerCase()] ?? 2) - (RANK[b.toLowerCase()] ?? 2) || a.localeCompare(b);

/** Built-in role names whose definition grants the action. */
export function rolesGranting(roleDefinitions, action) {
  return roleDefinitions
    .filter((d) => (d.properties?.type ?? "BuiltInRole") === "BuiltInRole")
    .filter((d) => grants(d.properties?.permissions ?? [], action))
    .map((d) => d.properties?.roleName ?? d.name)
    .sort(byRank);
}

const orList = (names) => (names.length <= 1 ? names.join("") : `${names.slice(0, -1).join(", ")} or ${names[names.length - 1]}`);

/**
 * What the caller may do here: `can(kind)` and `reason(kind)` for the kinds of ACTIONS. When the
 * permissions API cannot be read, everything is offered: the server authorises every call anyway.
 */
export function rights(permissions, roleDefinitions) {
  const reasons = {};
  for (const [kind, action] of Object.entries(ACTIONS)) {
    if (!permissions || grants(permissions, action)) continue;
    const roles = rolesGranting(roleDefinitions ?? [], action);
    reasons[kind] = roles.length ? `Needs ${orList(roles)} (${action})` : `Needs a role granting ${action}`;
  }
  return { can: (kind) => !reasons[kind], reason: (kind) => reasons[kind] };
}
