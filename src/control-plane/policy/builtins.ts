// The nine built-in Container Registry policy definitions of issue 10 section 3, as Azure's GET
// returns them: Azure's definition ids (GUID names), display names, descriptions, versions, modes,
// parameters (allowedValues and defaultValue as Azure) and rule logic, written here as Cove's own
// definitions after Azure/azure-policy's built-in-policies/policyDefinitions/Container Registry
// (release 3.2026.0417.1). Azure's spellings are kept where they differ between files (a parameter
// type "string", a role id in lower case, the key "anyof"): a client comparing with Azure sees the same.

type Json = Record<string, unknown>;

const POLICY_DEFINITION_TYPE = "Microsoft.Authorization/policyDefinitions";

const REGISTRIES = "Microsoft.ContainerRegistry/registries";
const R = (alias: string) => `${REGISTRIES}/${alias}`;
const ENDPOINTS = "Microsoft.Network/privateEndpoints";
const CONTRIBUTOR = "/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c";
const NETWORK_CONTRIBUTOR = "/providers/Microsoft.Authorization/roleDefinitions/4d97b98b-1d4f-4787-a291-c67834d212e7";
const TEMPLATE_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#";
const EFFECT_META = { displayName: "Effect", description: "Enable or disable the execution of the policy" };

function effectParameter(allowedValues: string[], type = "String"): Json {
  return { type, defaultValue: allowedValues[0], allowedValues, metadata: EFFECT_META };
}

const isRegistry = { field: "type", equals: REGISTRIES };

interface Spec {
  name: string;
  displayName: string;
  description: string;
  version: string;
  parameters: Json;
  rule: Json;
}

function definition(s: Spec): Json {
  return {
    properties: {
      displayName: s.displayName,
      policyType: "BuiltIn",
      mode: "Indexed",
      description: s.description,
      metadata: { version: s.version, category: "Container Registry" },
      version: s.version,
      parameters: s.parameters,
      policyRule: s.rule,
      versions: [s.version],
    },
    id: `/providers/Microsoft.Authorization/policyDefinitions/${s.name}`,
    type: POLICY_DEFINITION_TYPE,
    name: s.name,
  };
}

/** Audit/Deny built-ins: the registry type test and one more condition, the effect from `effect`. */
function auditDeny(s: Omit<Spec, "parameters" | "rule"> & { when: Json; effects?: string[]; effectType?: string }): Json {
  return definition({
    ...s,
    parameters: { effect: effectParameter(s.effects ?? ["Audit", "Deny", "Disabled"], s.effectType) },
    rule: { if: { allOf: [isRegistry, s.when] }, then: { effect: "[parameters('effect')]" } },
  });
}

const LEARN_AUTH = "Disabling local authentication methods like admin user, repository scoped access tokens and anonymous pull improves security by ensuring that container registries exclusively require Azure Active Directory identities for authentication. Learn more at: https://aka.ms/acr/authentication.";

const skuSupportsPrivateLink = auditDeny({
  name: "bd560fc0-3c69-498a-ae9f-aa8eb7de0e13",
  displayName: "Container registries should have SKUs that support Private Links",
  description: "Azure Private Link lets you connect your virtual network to Azure services without a public IP address at the source or destination. The private link platform handles the connectivity between the consumer and services over the Azure backbone network. By mapping private endpoints to your container registries instead of the entire service, data leakage risks are reduced. Learn more at: https://aka.ms/acr/private-link.",
  version: "1.0.0",
  when: { field: R("sku.name"), notEquals: "Premium" },
});

const usePrivateLink = auditDeny({
  name: "e8eef0a8-67cf-4eb4-9386-14b0e78733d4",
  displayName: "Container registries should use private link",
  description: "Azure Private Link lets you connect your virtual network to Azure services without a public IP address at the source or destination. The private link platform handles the connectivity between the consumer and services over the Azure backbone network.By mapping private endpoints to your container registries instead of the entire service, you'll also be protected against data leakage risks. Learn more at: https://aka.ms/acr/private-link.",
  version: "1.0.1",
  effects: ["Audit", "Disabled"],
  effectType: "string",
  when: {
    count: {
      field: R("privateEndpointConnections[*]"),
      where: { field: R("privateEndpointConnections[*].privateLinkServiceConnectionState.status"), equals: "Approved" },
    },
    less: 1,
  },
});

const publicNetworkAccessDisabled = auditDeny({
  name: "0fdf0491-d080-4575-b627-ad0e843cba0f",
  displayName: "Public network access should be disabled for Container registries",
  description: "Disabling public network access improves security by ensuring that container registries are not exposed on the public internet. Creating private endpoints can limit exposure of container registry resources. Learn more at: https://aka.ms/acr/portal/public-network and https://aka.ms/acr/private-link.",
  version: "1.0.0",
  when: { field: R("publicNetworkAccess"), notEquals: "Disabled" },
});

const noUnrestrictedNetworkAccess = auditDeny({
  name: "d0793b48-0edc-4296-a390-4c75d1bdfd71",
  displayName: "Container registries should not allow unrestricted network access",
  description: "Azure container registries by default accept connections over the internet from hosts on any network. To protect your registries from potential threats, allow access from only specific private endpoints, public IP addresses or address ranges. If your registry doesn't have network rules configured, it will appear in the unhealthy resources. Learn more about Container Registry network rules here: https://aka.ms/acr/privatelink, https://aka.ms/acr/portal/public-network and https://aka.ms/acr/vnet.",
  version: "2.0.0",
  when: {
    allOf: [
      { anyof: [{ field: R("networkRuleSet.defaultAction"), exists: "false" }, { field: R("networkRuleSet.defaultAction"), equals: "Allow" }] },
      { anyof: [{ field: R("publicNetworkAccess"), exists: "false" }, { field: R("publicNetworkAccess"), equals: "Enabled" }] },
    ],
  },
});

const adminAccountDisabled = auditDeny({
  name: "dc921057-6b28-4fbe-9b83-f7bec05db6c2",
  displayName: "Container registries should have local admin account disabled.",
  description: `Disable admin account for your registry so that it is not accessible by local admin. ${LEARN_AUTH}`,
  version: "1.0.1",
  when: { field: R("adminUserEnabled"), equals: true },
});

const anonymousPullDisabled = auditDeny({
  name: "9f2dea28-e834-476c-99c5-3507b4728395",
  displayName: "Container registries should have anonymous authentication disabled.",
  description: `Disable anonymous pull for your registry so that data is not accessible by unauthenticated user. ${LEARN_AUTH}`,
  version: "1.0.0",
  when: { field: R("anonymousPullEnabled"), equals: true },
});

const disablePublicNetworkAccess = definition({
  name: "a3701552-92ea-433e-9d17-33b7f1208fc9",
  displayName: "Configure Container registries to disable public network access",
  description: "Disable public network access for your Container Registry resource so that it's not accessible over the public internet. This can reduce data leakage risks. Learn more at https://aka.ms/acr/portal/public-network and https://aka.ms/acr/private-link.",
  version: "1.0.0",
  parameters: { effect: effectParameter(["Modify", "Disabled"]) },
  rule: {
    if: { allOf: [isRegistry, { field: R("publicNetworkAccess"), notEquals: "Disabled" }] },
    then: {
      effect: "[parameters('effect')]",
      details: {
        conflictEffect: "audit",
        roleDefinitionIds: [CONTRIBUTOR.replace("Microsoft.Authorization", "microsoft.authorization")],
        operations: [{ operation: "addOrReplace", field: R("publicNetworkAccess"), value: "Disabled" }],
      },
    },
  },
});

const str = { type: "string" };
const pass = (name: string) => ({ value: `[parameters('${name}')]` });

// The endpoint itself is created by a nested deployment evaluated in its own ("inner") scope, so
// that its name is the nested deployment's name and its location the subnet's virtual network's.
const endpointTemplate = {
  $schema: TEMPLATE_SCHEMA,
  contentVersion: "1.0.0.0",
  parameters: { name: str, serviceId: str, privateEndpointSubnetId: str },
  variables: {
    privateEndpointName: "[concat('pe-',substring(parameters('name'),0,min(length(parameters('name')),50)),'-',uniquestring(deployment().name))]",
  },
  resources: [{
    type: "Microsoft.Resources/deployments",
    name: "[variables('privateEndpointName')]",
    apiVersion: "2020-06-01",
    properties: {
      mode: "Incremental",
      expressionEvaluationOptions: { scope: "inner" },
      template: {
        $schema: TEMPLATE_SCHEMA,
        contentVersion: "1.0.0.0",
        parameters: { serviceId: str, privateEndpointSubnetId: str, subnetLocation: str },
        variables: { privateEndpointName: "[deployment().name]" },
        resources: [{
          name: "[variables('privateEndpointName')]",
          type: ENDPOINTS,
          apiVersion: "2020-07-01",
          location: "[parameters('subnetLocation')]",
          tags: {},
          properties: {
            subnet: { id: "[parameters('privateEndpointSubnetId')]" },
            privateLinkServiceConnections: [{
              name: "[variables('privateEndpointName')]",
              properties: { privateLinkServiceId: "[parameters('serviceId')]", groupIds: ["registry"], requestMessage: "autoapprove" },
            }],
            manualPrivateLinkServiceConnections: [],
          },
        }],
      },
      parameters: {
        serviceId: pass("serviceId"),
        privateEndpointSubnetId: pass("privateEndpointSubnetId"),
        subnetLocation: { value: "[reference(first(take(split(parameters('privateEndpointSubnetId'),'/subnets'),1)),'2020-07-01','Full').location]" },
      },
    },
  }],
};

const configurePrivateEndpoints = definition({
  name: "d85c6833-7d33-4cf5-a915-aaa2de84405f",
  displayName: "Configure Container registries with private endpoints",
  description: "Private endpoints connect your virtual network to Azure services without a public IP address at the source or destination. By mapping private endpoints to your premium container registry resources, you can reduce data leakage risks. Learn more at: https://aka.ms/privateendpoints and https://aka.ms/acr/private-link.",
  version: "1.0.0",
  parameters: {
    privateEndpointSubnetId: {
      type: "String",
      metadata: { displayName: "Private endpoint subnet id", description: "A subnet with private endpoint network policies disabled.", strongType: "Microsoft.Network/virtualNetworks/subnets" },
    },
    effect: effectParameter(["DeployIfNotExists", "Disabled"]),
  },
  rule: {
    if: { allOf: [isRegistry, { field: R("sku.name"), equals: "Premium" }] },
    then: {
      effect: "[parameters('effect')]",
      details: {
        type: `${REGISTRIES}/privateEndpointConnections`,
        existenceCondition: { field: R("privateEndpointConnections/privateLinkServiceConnectionState.status"), equals: "Approved" },
        roleDefinitionIds: [CONTRIBUTOR],
        deployment: {
          properties: {
            mode: "incremental",
            parameters: { name: { value: "[field('name')]" }, serviceId: { value: "[field('id')]" }, privateEndpointSubnetId: pass("privateEndpointSubnetId") },
            template: endpointTemplate,
          },
        },
      },
    },
  },
});

const zoneGroupTemplate = {
  $schema: TEMPLATE_SCHEMA,
  contentVersion: "1.0.0.0",
  parameters: { privateDnsZoneId: str, privateEndpointName: str, location: str },
  resources: [{
    name: "[concat(parameters('privateEndpointName'), '/deployedByPolicy')]",
    type: `${ENDPOINTS}/privateDnsZoneGroups`,
    apiVersion: "2020-03-01",
    location: "[parameters('location')]",
    properties: {
      privateDnsZoneConfigs: [{ name: "containerRegistry-privateDnsZone", properties: { privateDnsZoneId: "[parameters('privateDnsZoneId')]" } }],
    },
  }],
};

const REGISTRY_GROUP = `${ENDPOINTS}/privateLinkServiceConnections[*].groupIds[*]`;

const configurePrivateDnsZones = definition({
  name: "e9585a95-5b8c-4d03-b193-dc7eb5ac4c32",
  displayName: "Configure Container registries to use private DNS zones",
  description: "Use private DNS zones to override the DNS resolution for a private endpoint. A private DNS zone links to your virtual network to resolve to your Container Registry. Learn more at: https://aka.ms/privatednszone and https://aka.ms/acr/private-link.",
  version: "1.0.1",
  parameters: {
    privateDnsZoneId: {
      type: "String",
      metadata: {
        displayName: "Private DNS Zone id",
        description: "A private DNS zone id to connect to the private endpoint. It should be linked to the private endpoint's associated VNET.",
        strongType: "Microsoft.Network/privateDnsZones",
        assignPermissions: true,
      },
    },
    effect: effectParameter(["DeployIfNotExists", "Disabled"]),
  },
  rule: {
    if: {
      allOf: [
        { field: "type", equals: ENDPOINTS },
        { count: { field: REGISTRY_GROUP, where: { field: REGISTRY_GROUP, equals: "registry" } }, greaterOrEquals: 1 },
      ],
    },
    then: {
      effect: "[parameters('effect')]",
      details: {
        type: `${ENDPOINTS}/privateDnsZoneGroups`,
        roleDefinitionIds: [NETWORK_CONTRIBUTOR],
        deployment: {
          properties: {
            mode: "incremental",
            template: zoneGroupTemplate,
            parameters: { privateDnsZoneId: pass("privateDnsZoneId"), privateEndpointName: { value: "[field('name')]" }, location: { value: "[field('location')]" } },
          },
        },
      },
    },
  },
});

function deepFreeze<T>(v: T): T {
  if (v && typeof v === "object") {
    for (const x of Object.values(v as object)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

/** Full ARM bodies, frozen: shared by every reader, never changed by one. */
export const BUILTIN_POLICY_DEFINITIONS: readonly Record<string, unknown>[] = deepFreeze([
  skuSupportsPrivateLink, usePrivateLink, publicNetworkAccessDisabled, noUnrestrictedNetworkAccess,
  adminAccountDisabled, anonymousPullDisabled, disablePublicNetworkAccess, configurePrivateEndpoints, configurePrivateDnsZones,
]);

const byKey = new Map<string, Json>();
for (const d of BUILTIN_POLICY_DEFINITIONS) {
  byKey.set(String(d.name).toLowerCase(), d);
  byKey.set(String(d.id).toLowerCase(), d);
}

/** A built-in by its name (GUID) or full id, case-insensitive; a copy the caller may change. */
export function builtinDefinition(nameOrId: string): Record<string, unknown> | undefined {
  const hit = byKey.get(nameOrId.trim().toLowerCase().replace(/\/+$/, ""));
  return hit ? structuredClone(hit) : undefined;
}
