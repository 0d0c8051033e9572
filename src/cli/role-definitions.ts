// Role name -> role definition id, as az: a GUID or a full id is used as given; a name is looked
// up with `$filter=roleName eq '<name>'` at the scope (the filter is re-checked here, so a
// server that ignores it cannot hand back the wrong role).
import type { RoleDefinition } from "@azure/arm-authorization";
import { CliError } from "./errors.js";
import { EXIT_ERROR } from "./exit-codes.js";
import type { Session } from "./session.js";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function resolveRoleDefinitionId(s: Session, scope: string, role: string): Promise<string> {
  if (/\/providers\/Microsoft\.Authorization\/roleDefinitions\//i.test(role)) return role;
  if (GUID.test(role)) return `${s.subscriptionScope}/providers/Microsoft.Authorization/roleDefinitions/${role}`;
  const found: RoleDefinition[] = [];
  const filter = `roleName eq '${role.replace(/'/g, "''")}'`;
  for await (const d of s.authorization().roleDefinitions.list(scope, { filter })) {
    if (d.roleName?.toLowerCase() === role.toLowerCase()) found.push(d);
  }
  if (found.length === 0) throw new CliError(`Role '${role}' doesn't exist.`, EXIT_ERROR, "RoleDefinitionDoesNotExist");
  if (found.length > 1) throw new CliError(`More than one role matches the given name '${role}'. Please pick an id from '${found.map((d) => d.id).join(", ")}'.`);
  return found[0].id!;
}

/** Role definition id (lowercased GUID) -> role name, for enriching assignment listings as az does. */
export async function roleNames(s: Session): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for await (const d of s.authorization().roleDefinitions.list(s.subscriptionScope)) {
    const guid = d.id?.split("/").pop()?.toLowerCase();
    if (guid && d.roleName) names.set(guid, d.roleName);
  }
  return names;
}
