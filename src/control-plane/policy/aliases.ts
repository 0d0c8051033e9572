// The fields a policy rule may read (issue 10 section 2): `type`, `name`, `location`, `id`, `kind`,
// tags (`tags`, `tags.x`, `tags['x']`), and the aliases of the registry and network resources the
// built-ins need. An alias names a property of the resource document; `[*]` walks an array. An
// alias not listed here is refused when a definition is written (docs/policy.md lists them all).

/** Alias -> path in the ARM document ("[*]" marks an array walked element by element). */
const TOP_LEVEL = new Set(["sku.name", "sku.tier", "kind", "identity.type"]);
/**
 * Arrays whose members are ARM sub-resources ({ id, name, properties: {...} }): an alias below
 * "<array>[*]" reads the member's properties, as Azure's alias paths do
 * (privateEndpointConnections[*].privateLinkServiceConnectionState.status ->
 * properties.privateEndpointConnections[*].properties.privateLinkServiceConnectionState.status).
 */
const SUB_RESOURCE_ARRAYS = new Set(["privateendpointconnections", "privatelinkserviceconnections", "manualprivatelinkserviceconnections", "privatednszoneconfigs"]);

export const ALIASES: readonly string[] = [
  "Microsoft.ContainerRegistry/registries/sku.name",
  "Microsoft.ContainerRegistry/registries/sku.tier",
  "Microsoft.ContainerRegistry/registries/publicNetworkAccess",
  "Microsoft.ContainerRegistry/registries/adminUserEnabled",
  "Microsoft.ContainerRegistry/registries/anonymousPullEnabled",
  "Microsoft.ContainerRegistry/registries/dataEndpointEnabled",
  "Microsoft.ContainerRegistry/registries/networkRuleSet",
  "Microsoft.ContainerRegistry/registries/networkRuleSet.defaultAction",
  "Microsoft.ContainerRegistry/registries/networkRuleSet.ipRules",
  "Microsoft.ContainerRegistry/registries/networkRuleSet.ipRules[*]",
  "Microsoft.ContainerRegistry/registries/networkRuleSet.ipRules[*].value",
  "Microsoft.ContainerRegistry/registries/networkRuleSet.ipRules[*].action",
  "Microsoft.ContainerRegistry/registries/privateEndpointConnections",
  "Microsoft.ContainerRegistry/registries/privateEndpointConnections[*]",
  "Microsoft.ContainerRegistry/registries/privateEndpointConnections[*].privateLinkServiceConnectionState.status",
  "Microsoft.ContainerRegistry/registries/privateEndpointConnections/privateLinkServiceConnectionState.status",
  "Microsoft.Network/privateEndpoints/subnet.id",
  "Microsoft.Network/privateEndpoints/privateLinkServiceConnections[*]",
  "Microsoft.Network/privateEndpoints/privateLinkServiceConnections[*].privateLinkServiceId",
  "Microsoft.Network/privateEndpoints/privateLinkServiceConnections[*].groupIds[*]",
  "Microsoft.Network/privateEndpoints/manualPrivateLinkServiceConnections[*].privateLinkServiceId",
  "Microsoft.Network/privateEndpoints/privateDnsZoneGroups/privateDnsZoneConfigs[*].privateDnsZoneId",
];

const KNOWN = new Map(ALIASES.map((a) => [a.toLowerCase(), a]));

export interface FieldPath {
  /** Path segments below the document; "[*]" is an array walk. */
  segments: string[];
  tagsOnly?: boolean;
}

/** The document path of a field, or undefined when the field is not one a rule may read. */
export function fieldPath(field: string): FieldPath | undefined {
  const f = field.trim();
  const lower = f.toLowerCase();
  if (["type", "name", "location", "id", "kind", "tags"].includes(lower)) return { segments: [lower] };
  const tag = /^tags(?:\.([^.[\]]+)|\['([^']+)'\])$/i.exec(f);
  if (tag) return { segments: ["tags", tag[1] ?? tag[2]!], tagsOnly: true };
  const alias = KNOWN.get(lower);
  if (!alias) return undefined;
  const parts = alias.split("/");
  // "<Provider>/<type>[/<child type>]/<path>": the path is the last part (it holds no "/").
  const path = parts[parts.length - 1]!;
  const raw = path.replace(/\[\*\]/g, ".[*]").split(".").filter((s) => s !== "");
  const segments = raw.flatMap((s, i) => (s === "[*]" && i + 1 < raw.length && SUB_RESOURCE_ARRAYS.has(raw[i - 1]!.toLowerCase()) ? [s, "properties"] : [s]));
  return { segments: TOP_LEVEL.has(path) ? segments : ["properties", ...segments] };
}

/** The resource type an alias belongs to (for a rule's sanity check), e.g. Microsoft.ContainerRegistry/registries. */
export function aliasType(field: string): string | undefined {
  const alias = KNOWN.get(field.trim().toLowerCase());
  return alias ? alias.split("/").slice(0, -1).join("/") : undefined;
}

/**
 * The value(s) a field holds in a document. Without "[*]": the value (undefined when absent). With
 * "[*]": the array of element values (absent elements skipped; [] when the array is missing).
 */
export function readField(doc: Record<string, unknown>, path: FieldPath): { many: boolean; value: unknown } {
  let values: unknown[] = [doc];
  let many = false;
  for (const seg of path.segments) {
    if (seg === "[*]") {
      many = true;
      values = values.flatMap((v) => (Array.isArray(v) ? v : []));
      continue;
    }
    values = values.map((v) => lookup(v, seg)).filter((v) => !many || v !== undefined);
  }
  return many ? { many, value: values } : { many, value: values[0] };
}

function lookup(v: unknown, key: string): unknown {
  if (!v || typeof v !== "object" || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  if (key in o) return o[key];
  // ARM property names are case-insensitive.
  const k = Object.keys(o).find((x) => x.toLowerCase() === key.toLowerCase());
  return k === undefined ? undefined : o[k];
}
