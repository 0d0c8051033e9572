// The Microsoft.ContainerRegistry/registries document: strict parsing of PUT (Registry) and PATCH
// (RegistryUpdateParameters) bodies, Azure's defaults, and the SKU rules of
// reference/acr-networking.md sections 1.2 and 7. Pure functions: no storage, no HTTP.

import { isIPv4 } from "node:net";
import type { SkuName } from "../../domain/registry.js";
import { armError } from "../arm/errors.js";
import {
  type Json, asObject, invalid, onlyKeys, optArray, optBoolean, optEnum, optInteger, optObject, optString,
} from "../arm/strict-json.js";

export const SKUS = ["Basic", "Standard", "Premium"] as const;
const STATUS = ["enabled", "disabled"] as const; // PolicyStatus is lower-case in the spec
const ENABLED = ["Enabled", "Disabled"] as const;

/** Writable `properties` of RegistryPropertiesUpdateParameters (PATCH). */
const PATCH_PROPS = [
  "adminUserEnabled", "networkRuleSet", "policies", "encryption", "dataEndpointEnabled", "publicNetworkAccess",
  "networkRuleBypassOptions", "networkRuleBypassAllowedForTasks", "anonymousPullEnabled", "roleAssignmentMode",
] as const;
/** PUT also sets zoneRedundancy and tolerates the read-only members a client may echo back from a GET. */
const PUT_PROPS = [
  ...PATCH_PROPS, "zoneRedundancy",
  "loginServer", "creationDate", "provisioningState", "status", "dataEndpointHostNames", "privateEndpointConnections",
];

export type RegistryProps = Record<string, unknown>;

export interface RegistryInput {
  location?: unknown; // validated by the handler (asLocation)
  tags?: unknown;
  sku?: SkuName;
  identity?: Json;
  /** Only the properties the client gave, parsed and in canonical form. */
  props: RegistryProps;
}

function parseSku(v: unknown): SkuName | undefined {
  const o = optObject(v, "sku");
  if (!o) return undefined;
  onlyKeys(o, ["name", "tier"], "sku");
  const name = optEnum(o.name, [...SKUS, "Classic"] as const, "sku.name");
  if (name === undefined) invalid("sku.name", "Required property 'name' not found in JSON.");
  if (name === "Classic") throw armError("InvalidParameter", { target: "sku.name", reason: "The Classic SKU is no longer supported." }, { target: "sku.name" });
  return name;
}

function parseIdentity(v: unknown): Json | undefined {
  const o = optObject(v, "identity");
  if (!o) return undefined;
  onlyKeys(o, ["type", "userAssignedIdentities", "principalId", "tenantId"], "identity");
  const type = optEnum(o.type, ["None", "SystemAssigned", "UserAssigned", "SystemAssigned, UserAssigned"] as const, "identity.type") ?? "None";
  const out: Json = { type };
  const uai = optObject(o.userAssignedIdentities, "identity.userAssignedIdentities");
  if (uai) {
    const ids: Json = {};
    for (const k of Object.keys(uai)) ids[k] = {};
    out.userAssignedIdentities = ids;
  }
  return out;
}

function parseNetworkRuleSet(v: unknown): Json | undefined {
  const o = optObject(v, "properties.networkRuleSet");
  if (!o) return undefined;
  onlyKeys(o, ["defaultAction", "ipRules", "virtualNetworkRules"], "properties.networkRuleSet");
  const defaultAction = optEnum(o.defaultAction, ["Allow", "Deny"] as const, "properties.networkRuleSet.defaultAction");
  if (defaultAction === undefined) invalid("properties.networkRuleSet.defaultAction", "Required property 'defaultAction' not found in JSON.");
  const vnet = optArray(o.virtualNetworkRules, "properties.networkRuleSet.virtualNetworkRules");
  if (vnet && vnet.length > 0) {
    throw armError("InvalidParameter", {
      target: "properties.networkRuleSet.virtualNetworkRules",
      reason: "Virtual network (service endpoint) rules are not supported; use private endpoints.",
    }, { target: "properties.networkRuleSet.virtualNetworkRules" });
  }
  const rules = optArray(o.ipRules, "properties.networkRuleSet.ipRules") ?? [];
  // Azure's documentation disagrees (100 in the IP-rules article, 200 in the 2026 limits table,
  // acr-networking.md 7); Cove takes the newer, larger figure.
  if (rules.length > 200) {
    throw armError("InvalidParameter", { target: "properties.networkRuleSet.ipRules", reason: "A registry supports at most 200 IP rules." }, { target: "properties.networkRuleSet.ipRules" });
  }
  const ipRules = rules.map((r, i) => {
    const path = `properties.networkRuleSet.ipRules[${i}]`;
    const rule = asObject(r, path);
    onlyKeys(rule, ["action", "value"], path);
    const action = optEnum(rule.action, ["Allow"] as const, `${path}.action`) ?? "Allow";
    const value = optString(rule.value, `${path}.value`);
    if (value === undefined) invalid(`${path}.value`, "Required property 'value' not found in JSON.");
    if (!isIPv4CidrOrAddress(value)) {
      throw armError("InvalidParameter", {
        target: `${path}.value`,
        reason: `'${value}' is not an IPv4 address or range in CIDR format. Only IPV4 address is allowed.`,
      }, { target: `${path}.value` });
    }
    return { action, value };
  });
  // A rule given twice is a mistake (Azure refuses duplicates); "a.b.c.d" and "a.b.c.d/32" are the same rule.
  const seen = new Set<string>();
  ipRules.forEach((r, i) => {
    const key = r.value.replace(/\/32$/, "");
    if (seen.has(key)) {
      throw armError("InvalidParameter", {
        target: `properties.networkRuleSet.ipRules[${i}].value`, reason: `The IP rule '${r.value}' appears more than once.`,
      }, { target: `properties.networkRuleSet.ipRules[${i}].value` });
    }
    seen.add(key);
  });
  return { defaultAction, ipRules };
}

export function isIPv4CidrOrAddress(v: string): boolean {
  const [addr, prefix, extra] = v.split("/");
  if (extra !== undefined || !addr || !isIPv4(addr)) return false;
  if (prefix === undefined) return true;
  // 0-32 written without leading zeros: "/08" is not a prefix length Azure accepts.
  return /^(?:\d|[12]\d|3[0-2])$/.test(prefix);
}

function parseStatusPolicy(v: unknown, path: string, extra: readonly string[] = []): Json | undefined {
  const o = optObject(v, path);
  if (!o) return undefined;
  onlyKeys(o, ["status", ...extra], path);
  const out: Json = {};
  const status = optEnum(o.status, STATUS, `${path}.status`);
  if (status) out.status = status;
  return out;
}

function parsePolicies(v: unknown): Json | undefined {
  const o = optObject(v, "properties.policies");
  if (!o) return undefined;
  const p = "properties.policies";
  onlyKeys(o, ["quarantinePolicy", "trustPolicy", "retentionPolicy", "exportPolicy", "azureADAuthenticationAsArmPolicy", "softDeletePolicy"], p);
  const out: Json = {};
  const q = parseStatusPolicy(o.quarantinePolicy, `${p}.quarantinePolicy`);
  if (q) out.quarantinePolicy = q;
  const t = parseStatusPolicy(o.trustPolicy, `${p}.trustPolicy`, ["type"]);
  if (t) {
    const type = optEnum((o.trustPolicy as Json).type, ["Notary"] as const, `${p}.trustPolicy.type`);
    out.trustPolicy = { ...(type ? { type } : {}), ...t };
  }
  const r = parseStatusPolicy(o.retentionPolicy, `${p}.retentionPolicy`, ["days", "lastUpdatedTime"]);
  if (r) {
    const days = optInteger((o.retentionPolicy as Json).days, `${p}.retentionPolicy.days`, 0, 365);
    out.retentionPolicy = { ...(days !== undefined ? { days } : {}), ...r };
  }
  const e = parseStatusPolicy(o.exportPolicy, `${p}.exportPolicy`);
  if (e) out.exportPolicy = e;
  const a = parseStatusPolicy(o.azureADAuthenticationAsArmPolicy, `${p}.azureADAuthenticationAsArmPolicy`);
  if (a) out.azureADAuthenticationAsArmPolicy = a;
  const s = parseStatusPolicy(o.softDeletePolicy, `${p}.softDeletePolicy`, ["retentionDays", "lastUpdatedTime"]);
  if (s) {
    const retentionDays = optInteger((o.softDeletePolicy as Json).retentionDays, `${p}.softDeletePolicy.retentionDays`, 1, 90);
    out.softDeletePolicy = { ...(retentionDays !== undefined ? { retentionDays } : {}), ...s };
  }
  return out;
}

function parseEncryption(v: unknown): Json | undefined {
  const o = optObject(v, "properties.encryption");
  if (!o) return undefined;
  onlyKeys(o, ["status", "keyVaultProperties"], "properties.encryption");
  const status = optEnum(o.status, STATUS, "properties.encryption.status") ?? "disabled";
  if (status === "enabled" || (o.keyVaultProperties !== undefined && o.keyVaultProperties !== null)) {
    // Cove stores no keys in a key vault: claiming customer-managed-key encryption would be a lie.
    throw armError("InvalidParameter", { target: "properties.encryption", reason: "Customer-managed key encryption is not supported by Cove." }, { target: "properties.encryption" });
  }
  return { status };
}

export function parseRegistryBody(body: Json, mode: "put" | "patch"): RegistryInput {
  if (mode === "put") onlyKeys(body, ["location", "tags", "sku", "identity", "properties", "id", "name", "type", "systemData"], "");
  else onlyKeys(body, ["identity", "tags", "sku", "properties"], "");
  const input: RegistryInput = { props: {} };
  if (mode === "put") input.location = body.location;
  input.tags = body.tags;
  input.sku = parseSku(body.sku);
  input.identity = parseIdentity(body.identity);
  const p = optObject(body.properties, "properties");
  if (!p) return input;
  onlyKeys(p, mode === "put" ? PUT_PROPS : PATCH_PROPS, "properties");
  const props = input.props;
  const set = (k: string, v: unknown) => { if (v !== undefined) props[k] = v; };
  set("adminUserEnabled", optBoolean(p.adminUserEnabled, "properties.adminUserEnabled"));
  set("networkRuleSet", parseNetworkRuleSet(p.networkRuleSet));
  set("policies", parsePolicies(p.policies));
  set("encryption", parseEncryption(p.encryption));
  set("dataEndpointEnabled", optBoolean(p.dataEndpointEnabled, "properties.dataEndpointEnabled"));
  set("publicNetworkAccess", optEnum(p.publicNetworkAccess, ENABLED, "properties.publicNetworkAccess"));
  set("networkRuleBypassOptions", optEnum(p.networkRuleBypassOptions, ["AzureServices", "None"] as const, "properties.networkRuleBypassOptions"));
  set("networkRuleBypassAllowedForTasks", optBoolean(p.networkRuleBypassAllowedForTasks, "properties.networkRuleBypassAllowedForTasks"));
  set("anonymousPullEnabled", optBoolean(p.anonymousPullEnabled, "properties.anonymousPullEnabled"));
  set("roleAssignmentMode", optEnum(p.roleAssignmentMode, ["AbacRepositoryPermissions", "LegacyRegistryPermissions"] as const, "properties.roleAssignmentMode"));
  if (mode === "put") set("zoneRedundancy", optEnum(p.zoneRedundancy, ENABLED, "properties.zoneRedundancy"));
  return input;
}

/** Azure's defaults for every writable property (SPEC-EX RegistryGet.json, acr-networking.md 1.2). */
export function defaultProps(now: string): RegistryProps {
  return {
    adminUserEnabled: false,
    networkRuleSet: { defaultAction: "Allow", ipRules: [] },
    policies: {
      quarantinePolicy: { status: "disabled" },
      trustPolicy: { type: "Notary", status: "disabled" },
      retentionPolicy: { days: 7, lastUpdatedTime: now, status: "disabled" },
      exportPolicy: { status: "enabled" },
      azureADAuthenticationAsArmPolicy: { status: "enabled" },
    },
    encryption: { status: "disabled" },
    dataEndpointEnabled: false,
    publicNetworkAccess: "Enabled",
    networkRuleBypassOptions: "AzureServices",
    networkRuleBypassAllowedForTasks: false,
    zoneRedundancy: "Disabled",
    anonymousPullEnabled: false,
    roleAssignmentMode: "LegacyRegistryPermissions",
  };
}

/** Applies given properties over `base`; policies merge per policy so PATCH changes only what it names. */
export function mergeProps(base: RegistryProps, given: RegistryProps, now: string): RegistryProps {
  const out: RegistryProps = { ...base };
  for (const [k, v] of Object.entries(given)) {
    if (k !== "policies") { out[k] = v; continue; }
    const merged: Json = { ...((base.policies ?? {}) as Json) };
    for (const [name, pol] of Object.entries(v as Json)) {
      merged[name] = { ...((merged[name] ?? {}) as Json), ...(pol as Json) };
      if (name === "retentionPolicy") (merged[name] as Json).lastUpdatedTime = now;
      if (name === "softDeletePolicy") (merged[name] as Json).lastUpdatedTime = now;
    }
    out.policies = merged;
  }
  return out;
}

/** The SKU rules of acr-networking.md section 7, checked on the final document before it is stored. */
export function checkSkuRules(sku: SkuName, p: RegistryProps): void {
  if (sku === "Premium") return;
  if (p.publicNetworkAccess === "Disabled") throw armError("DisablingPublicNetworkAccessNotSupported", { sku });
  const nrs = p.networkRuleSet as { defaultAction: string; ipRules: unknown[] };
  if (nrs.defaultAction === "Deny" || nrs.ipRules.length > 0) throw armError("NetworkRuleSetNotSupported", { sku });
  const need = (feature: string, required = "Premium") => { throw armError("FeatureNotSupportedForSku", { feature, sku, required }); };
  if (p.dataEndpointEnabled === true) need("dataEndpointEnabled");
  const pol = p.policies as Record<string, { status?: string }>;
  if (pol.retentionPolicy?.status === "enabled") need("policies.retentionPolicy");
  if (pol.trustPolicy?.status === "enabled") need("policies.trustPolicy");
  if (pol.exportPolicy?.status === "disabled") need("policies.exportPolicy");
  if (p.anonymousPullEnabled === true && sku === "Basic") need("anonymousPullEnabled", "Standard or Premium");
}

/**
 * Private link rules on the final document: a registry with private endpoint connections stays
 * Premium (a downgrade is refused) and keeps its dedicated data endpoint, which Azure turns on with
 * the first connection; `given` is what the client sent, `props` is changed in place.
 */
export function checkPrivateLinkRules(sku: SkuName, given: RegistryProps, props: RegistryProps, connections: number): void {
  if (connections === 0) return;
  if (sku !== "Premium") throw armError("FeatureNotSupportedForSku", { feature: "privateEndpointConnections", sku, required: "Premium" });
  if (given.dataEndpointEnabled === false) {
    throw armError("InvalidParameter", {
      target: "properties.dataEndpointEnabled",
      reason: "The dedicated data endpoint cannot be disabled while the registry has private endpoint connections.",
    }, { target: "properties.dataEndpointEnabled" });
  }
  props.dataEndpointEnabled = true;
}
