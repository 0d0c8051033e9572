// Which api-versions each resource provider accepts, and how an unknown one is refused.
// Sources (checked, not guessed): the SDKs in node_modules (@azure/arm-containerregistry 12 sends
// 2025-11-01; @azure/arm-resources 8 sends 2025-04-01 and 6.1 sent 2025-03-01; @azure/arm-authorization 9 sends 2022-04-01
// for roleAssignments/roleDefinitions, 2015-07-01 and 2020-10-01 for its other groups), the real
// az 2.45 (reference/az-cli.md: subscriptions 2019-11-01, resources 2021-04-01, ACR
// 2022-02-01-preview, metadata 2015-01-01), and the ACR GA folders of reference/acr-networking.md 1.1.
//
// As Azure: ARM's own types (subscriptions, resource groups, generic resources) answer an unknown
// version with InvalidApiVersionParameter; types served by a resource provider answer with
// NoRegisteredProviderFound. Both messages list the supported versions, newest first.

import { armError } from "./errors.js";

export type ProviderKey =
  | "Microsoft.Resources" | "Microsoft.ContainerRegistry" | "Microsoft.Authorization" | "Microsoft.Authorization/policy"
  | "Microsoft.PolicyInsights" | "Microsoft.Network" | "Microsoft.Network/privateDnsZones" | "metadata";

const RESOURCES = [
  "2025-04-01", "2025-03-01", "2024-11-01", "2024-08-01", "2024-07-01", "2024-03-01", "2023-07-01",
  "2022-12-01", "2022-09-01", "2022-06-01", "2022-05-01", "2022-01-01", "2021-04-01", "2021-01-01",
  "2020-10-01", "2020-09-01", "2020-08-01", "2020-07-01", "2020-06-01", "2020-05-01", "2020-01-01",
  "2019-11-01", "2019-10-01", "2019-09-01", "2019-08-01", "2019-07-01", "2019-06-01", "2019-05-10",
  "2019-05-01", "2019-03-01", "2018-11-01", "2018-09-01", "2018-08-01", "2018-07-01", "2018-06-01",
  "2018-05-01", "2018-02-01", "2018-01-01", "2017-12-01", "2017-08-01", "2017-06-01", "2017-05-10",
  "2017-05-01", "2017-03-01", "2016-09-01", "2016-07-01", "2016-06-01", "2016-02-01", "2015-11-01",
  "2015-01-01", "2014-04-01",
];

const CONTAINER_REGISTRY = [
  // GA (acr-networking.md 1.1)
  "2025-11-01", "2025-04-01", "2023-07-01", "2022-12-01", "2021-09-01", "2019-05-01", "2017-10-01", "2017-03-01",
  // previews the CLI and SDKs have sent (az 2.45: 2022-02-01-preview; newer az: 2026-01-01-preview)
  "2026-01-01-preview", "2025-05-01-preview", "2025-03-01-preview", "2024-11-01-preview", "2023-11-01-preview",
  "2023-08-01-preview", "2023-06-01-preview", "2023-01-01-preview", "2022-02-01-preview", "2021-12-01-preview",
  "2021-08-01-preview", "2021-06-01-preview", "2020-11-01-preview", "2019-12-01-preview",
];

const AUTHORIZATION = [
  "2022-05-01-preview", "2022-04-01", "2022-01-01-preview", "2021-04-01-preview", "2020-10-01-preview",
  "2020-10-01", "2020-08-01-preview", "2020-04-01-preview", "2020-03-01-preview", "2018-09-01-preview",
  "2018-07-01", "2018-01-01-preview", "2017-05-01", "2016-07-01", "2015-07-01",
];

// Azure Policy's definitions, assignments and exemptions: @azure/arm-policy 7 sends 2025-03-01, 5.1
// sends 2021-06-01 (definitions, assignments) and 2020-07-01-preview (exemptions, the last SDK with
// them); az sends 2022-06-01 / 2022-07-01-preview; the rest are the GA versions before them.
const POLICY = [
  "2025-03-01", "2025-01-01", "2024-05-01", "2024-04-01", "2023-04-01", "2022-07-01-preview", "2022-06-01", "2021-06-01",
  "2020-09-01", "2020-07-01-preview", "2020-03-01", "2019-09-01", "2019-06-01", "2019-01-01", "2018-05-01", "2018-03-01",
];

// Microsoft.PolicyInsights: @azure/arm-policyinsights 6 sends 2024-10-01 for policy states,
// remediations and restrictions (2018-07-01-preview only for policy tracked resources).
const POLICY_INSIGHTS = ["2024-10-01", "2022-09-01", "2022-03-01", "2021-10-01", "2021-01-01", "2019-10-01", "2019-07-01", "2018-07-01-preview", "2018-04-04"];

// Microsoft.Network (virtual networks, subnets, peerings, private endpoints, NICs, zone groups):
// @azure/arm-network 39 sends 2026-01-01 (its TypeSpec generation, read from the package), 36 sends
// 2025-05-01 (azure-sdk-clients.md section 0.4); az 2.45 bundles azure-mgmt-network 23.0.0b1; the
// rest are the GA versions of recent years.
const NETWORK = [
  "2026-01-01", "2025-05-01", "2025-03-01", "2025-01-01", "2024-10-01", "2024-07-01", "2024-05-01", "2024-03-01", "2024-01-01",
  "2023-11-01", "2023-09-01", "2023-06-01", "2023-05-01", "2023-04-01", "2023-02-01", "2022-11-01", "2022-09-01",
  "2022-07-01", "2022-05-01", "2022-01-01", "2021-08-01", "2021-05-01", "2021-03-01", "2021-02-01", "2020-11-01",
  "2020-08-01", "2020-07-01", "2020-06-01", "2020-05-01", "2020-04-01", "2020-03-01",
];

// Microsoft.Network/privateDnsZones: @azure/arm-privatedns 4 sends 2024-06-01, 3.2 sends
// 2020-06-01; resolutionPolicy on links needs 2024-06-01 (acr-networking.md 2.4).
const PRIVATE_DNS = ["2024-06-01", "2020-06-01", "2020-01-01", "2018-09-01"];

const METADATA = ["2022-09-01", "2020-06-01", "2019-05-01", "2018-01-01", "2015-01-01"];

export const API_VERSIONS: Record<ProviderKey, readonly string[]> = {
  "Microsoft.Resources": RESOURCES,
  "Microsoft.ContainerRegistry": CONTAINER_REGISTRY,
  "Microsoft.Authorization": AUTHORIZATION,
  "Microsoft.Authorization/policy": POLICY,
  "Microsoft.PolicyInsights": POLICY_INSIGHTS,
  "Microsoft.Network": NETWORK,
  "Microsoft.Network/privateDnsZones": PRIVATE_DNS,
  metadata: METADATA,
};

/**
 * Throws the catalogued error when `apiVersion` is missing or not accepted for `provider`.
 * `type` is the short resource type Azure names in NoRegisteredProviderFound (e.g. "registries").
 */
export function checkApiVersion(provider: ProviderKey, type: string, apiVersion: string | null): string {
  if (apiVersion === null || apiVersion === "") throw armError("MissingApiVersionParameter");
  const supported = API_VERSIONS[provider];
  if (supported.includes(apiVersion)) return apiVersion;
  if (provider === "Microsoft.Resources" || provider === "metadata") {
    throw armError("InvalidApiVersionParameter", { apiVersion, supported: supported.join(",") });
  }
  throw armError("NoRegisteredProviderFound", {
    location: "global",
    apiVersion,
    type,
    supported: supported.join(", "),
    locations: "global",
  });
}
