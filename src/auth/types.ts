// Identity and access vocabulary shared by both planes. Roles are data (auth/roles.ts);
// authorize() decides from role assignments stored as ARM resources (type
// Microsoft.Authorization/roleAssignments) whose scope covers the target, inherited downward.

import type { AudienceSet } from "./audiences.js";

export type PrincipalKind = "servicePrincipal" | "adminUser" | "anonymous";

export interface Principal {
  kind: PrincipalKind;
  /** Object id (service principal) or the registry's admin username. */
  id: string;
  /** Application (client) id for service principals. */
  clientId?: string;
  displayName?: string;
  tenantId?: string;
}

/** Data-plane actions, as registry token scopes name them (`repository:<name>:pull,push`). */
export type RegistryAction = "pull" | "push" | "delete" | "*";

/**
 * Management (ARM) permission strings, as Azure's role definitions spell them, e.g.
 * "Microsoft.ContainerRegistry/registries/write" or "Microsoft.ContainerRegistry/registries/pull/read".
 */
export type ArmAction = string;

/**
 * What both planes ask of access control. Implemented in auth/access-control.ts from role
 * definitions (auth/roles.ts) and stored role assignments.
 */
export interface AccessControl {
  /** True when `principal` holds `action` at `scope` or at any scope above it (inherited downward). */
  authorize(principal: Principal, action: ArmAction, scope: string): Promise<boolean>;
  /** Data-plane actions the principal holds on a registry (AcrPull: pull; AcrPush: pull+push; AcrDelete: delete; Owner/Contributor: all). */
  registryActions(principal: Principal, registryId: string): Promise<Set<RegistryAction>>;
}

/**
 * The local identity provider (DESIGN.md section 6): service principals with client secrets,
 * OAuth2 client-credentials tokens for the management API and for /oauth2/exchange.
 */
export interface IdentityProvider {
  readonly tenantId: string;
  /**
   * Principal for an access token issued by this provider for one of `audiences`, or undefined
   * when invalid, expired or minted for another resource (auth/audiences.ts).
   */
  verifyAccessToken(token: string, audiences: AudienceSet): Promise<Principal | undefined>;
  /** Principal for a service principal's client id + secret, or undefined. Constant-time comparison. */
  verifyClientSecret(clientId: string, secret: string): Promise<Principal | undefined>;
}
