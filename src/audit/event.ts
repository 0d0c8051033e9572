// Every event Cove writes to the audit log, as one discriminated union on `kind`. The log is one
// stable, documented record stream (house style habit 10): docs/audit.md lists every kind with
// its fields, and test/audit/kinds-doc.test.ts keeps that table and AUDIT_KINDS / AUDIT_FIELDS in
// step, in both directions. Writers build these values and hand them to appendAudit() (log.ts);
// no event ever carries a secret, a password or a token.
//
// Records written before the union carried `type` for some kinds (and `kind: "auth"` beside it);
// the log is never rewritten, so those records stay as they are and still verify: readers take
// `event` as stored (storage/types.ts AuditRecord), and docs/audit.md maps the old names.
//
// Imports nothing: the layers that write events (auth, identity, the planes) can name the type
// without depending on anything else in audit/.

/** Every kind, in the order docs/audit.md lists them. AuditKind is derived from this array. */
export const AUDIT_KINDS = [
  "control-plane",
  "private-endpoint-connection",
  "policy.effect",
  "identity.token",
  "identity.servicePrincipal.create",
  "identity.servicePrincipal.delete",
  "identity.servicePrincipal.addSecret",
  "identity.servicePrincipal.removeSecret",
  "management.token",
  "registry.token",
  "registry.token-aggregate",
  "login-failed",
  "data-plane-denied",
  "data-plane-denied-summary",
] as const;

export type AuditKind = (typeof AUDIT_KINDS)[number];

/** A member's shape: its kind must be one of AUDIT_KINDS, or the member does not compile. */
type Of<K extends AuditKind, Fields> = { kind: K } & Fields;

/** What a request carried, for the events a request causes. */
type RequestFields = { clientIp: string; requestId: string };

/** `sha256:<hex>` of the canonical JSON of a stored resource body, or null when there was none. */
type BodyDigest = string | null;

/**
 * An ARM write attempt, with its outcome: one per PUT, PATCH, DELETE or audited POST that reached
 * routing with a principal. `action` is the route's permission (e.g.
 * `Microsoft.ContainerRegistry/registries/write`), `actor` the principal's object id.
 */
export type ControlPlaneEvent = Of<"control-plane", { action: string; resourceId: string; actor: string; status: number } & (
  /** The request itself (front door): before/after digests of the stored body. */
  | { requestId: string; before: BodyDigest; after: BodyDigest }
  /** A record another write made (a zone group's A records): `cause` is that resource's id. */
  | { cause: string }
)>;

export type PrivateEndpointConnectionEvent = Of<"private-endpoint-connection", {
  action: "create" | "approve" | "reject" | "disconnect";
  resourceId: string;
  actor: string;
  /** null for `create`. */
  from: string | null;
  to: string;
  description: string;
  requestId: string;
  time: string;
}>;

/**
 * What an Azure Policy assignment did to one write (docs/policy.md): `denied` (an enforced Deny
 * refused it), `modified` (an enforced Modify rewrote it: `operations`), or `not-enforced` (a Deny
 * would have refused it, but an exemption, named in `exemptionId`, or DoNotEnforce let it through).
 */
export type PolicyEffectEvent = Of<"policy.effect", {
  outcome: "denied" | "modified" | "not-enforced";
  resourceId: string;
  policyAssignmentId: string;
  policyDefinitionId: string;
  effect: string;
  actor: string;
  requestId: string;
  exemptionId?: string;
  operations?: { operation: string; field: string; value?: unknown }[];
}>;

export type IdentityTokenEvent = Of<"identity.token", { clientIp: string; requestId: string } & (
  | { outcome: "issued"; clientId: string | undefined; principalId: string }
  /** Only without a login throttle; with one, refusals are `login-failed` counts. */
  | { outcome: "denied"; clientId: string; reason: "bad_secret" | "unknown_client" }
)>;

/** Who changed a service principal: the caller's object id and request. */
type SpActor = { actorId: string } & RequestFields;
export type ServicePrincipalCreateEvent = Of<"identity.servicePrincipal.create", { appId: string; objectId: string } & SpActor>;
export type ServicePrincipalDeleteEvent = Of<"identity.servicePrincipal.delete", { appId: string; objectId: string } & SpActor>;
/** `keyId` names the secret; the secret itself is never in the event. */
export type ServicePrincipalAddSecretEvent = Of<"identity.servicePrincipal.addSecret", { appId: string | undefined; keyId: string } & SpActor>;
export type ServicePrincipalRemoveSecretEvent = Of<"identity.servicePrincipal.removeSecret", { appId: string; keyId: string } & SpActor>;

/** A management token for another audience, refused by the audience guard (the token is never stored). */
export type ManagementTokenEvent = Of<"management.token", {
  outcome: "denied";
  reason: "wrong-audience";
  audience: string;
  principalId: string;
  clientId: string | undefined;
  method: string;
  path: string;
} & RequestFields>;

/** One `access` entry of an ACR access token, as the token carries it. */
type TokenAccess = { type: string; name: string; actions: string[] };
type RegistryTokenBase = { registry: string; principalKind: string; principalId: string } & RequestFields;
export type RegistryTokenEvent = Of<"registry.token", RegistryTokenBase & (
  | { endpoint: "token"; outcome: "issued"; access: TokenAccess[] }
  | { endpoint: "exchange"; outcome: "issued" }
  | { endpoint: "exchange"; outcome: "denied"; reason: "wrong-audience"; audience: string }
)>;

/** How one client reached the token endpoint: the public endpoint, or a private endpoint's IP. */
export type TokenPath =
  | { path: "public" }
  /** `endpointId` is the lower-cased id of the endpoint owning that IP when the token was issued. */
  | { path: "private"; endpointIp: string; endpointId?: string };

/** One client of an aggregate: its address, the path it came by, and its counts. */
export type TokenAggregateClient = { clientIp: string; count: number; exchange: number; token: number; firstAt: string; lastAt: string } & TokenPath;

/**
 * The routine registry tokens of one (principal, registry, minute), counted exactly
 * (token-aggregate.ts): `count` = exchange + token issues, per endpoint and per client.
 */
export type RegistryTokenAggregateEvent = Of<"registry.token-aggregate", {
  registry: string;
  principalKind: string;
  principalId: string;
  /** The window (the minute) the counts belong to. */
  from: string;
  to: string;
  firstAt: string;
  lastAt: string;
  count: number;
  endpoints: { exchange: number; token: number };
  clients: TokenAggregateClient[];
  /** Repositories the window's access tokens granted pull on (at most 64 names), and how many more there were. */
  repositories: string[];
  repositoriesOmitted: number;
  /** Why it was written: the window ended, Cove shut down, or the pending set reached its bound. */
  flush: "window" | "close" | "bound" | "read";
}>;

/** Failed password checks of one (source, user name, endpoint, registry), counted exactly. */
export type LoginFailedEvent = Of<"login-failed", {
  clientIp: string;
  username: string;
  endpoint: string;
  registry?: string;
  count: number;
  throttled: number;
  firstAt: string;
  lastAt: string;
}>;

/** A data-plane refusal written by name (denials.ts decides which are written and which counted). */
export type DataPlaneDeniedEvent = Of<"data-plane-denied", { clientIp: string } & (
  /** The pipeline answered 401 to a client that sent credentials, or 403. */
  | {
    status: number;
    reason: "forbidden" | "credentials-rejected" | "token-rejected";
    registry: string | undefined;
    host: string;
    method: string;
    path: string;
    requestId: string;
    /** The Authorization scheme the client sent (`Basic`, `Bearer`), or `none`. */
    credentials: string;
  }
  /** The network decision refused a connection or a request. */
  | {
    /** 403 when answered, absent when the connection was dropped or cut. */
    status?: number;
    effect: "forbidden" | "drop";
    reason: string;
    rule: string;
    /** `public:<ip>` or `private:<ip>`: the listener address the client reached. */
    via: string;
    phase: "accept" | "request" | "recheck";
    registry?: string;
    host?: string;
    method?: string;
    path?: string;
    requestId?: string;
  }
)>;

export type DataPlaneDeniedSummaryEvent = Of<"data-plane-denied-summary", {
  from: string;
  to: string;
  /** Every denial of the window not written by name. */
  suppressed: number;
  sources: { clientIp: string; reason: string; recorded: number; suppressed: number }[];
  untrackedSources?: { count: number; byReason: Record<string, number> };
}>;

export type AuditEvent =
  | ControlPlaneEvent
  | PrivateEndpointConnectionEvent
  | PolicyEffectEvent
  | IdentityTokenEvent
  | ServicePrincipalCreateEvent
  | ServicePrincipalDeleteEvent
  | ServicePrincipalAddSecretEvent
  | ServicePrincipalRemoveSecretEvent
  | ManagementTokenEvent
  | RegistryTokenEvent
  | RegistryTokenAggregateEvent
  | LoginFailedEvent
  | DataPlaneDeniedEvent
  | DataPlaneDeniedSummaryEvent;

/** Told about events by a module that writes them (identity, login limits, registry tokens). */
export type AuditSink = (event: AuditEvent) => void | Promise<void>;

type Member<K extends AuditKind> = Extract<AuditEvent, { kind: K }>;
/** Every field any shape of a member can carry, `kind` aside. */
type FieldsOf<T> = T extends unknown ? Exclude<keyof T, "kind"> : never;

/**
 * The fields of each kind, as docs/audit.md's table lists them (the doc test compares the two).
 * The compiler holds this to the union: a field that no member has does not compile, and neither
 * does a member field missing here (EveryFieldListed below).
 */
export const AUDIT_FIELDS = {
  "control-plane": ["action", "resourceId", "actor", "status", "requestId", "before", "after", "cause"],
  "private-endpoint-connection": ["action", "resourceId", "actor", "from", "to", "description", "requestId", "time"],
  "policy.effect": ["outcome", "resourceId", "policyAssignmentId", "policyDefinitionId", "effect", "actor", "requestId", "exemptionId", "operations"],
  "identity.token": ["outcome", "clientId", "principalId", "reason", "clientIp", "requestId"],
  "identity.servicePrincipal.create": ["appId", "objectId", "actorId", "clientIp", "requestId"],
  "identity.servicePrincipal.delete": ["appId", "objectId", "actorId", "clientIp", "requestId"],
  "identity.servicePrincipal.addSecret": ["appId", "keyId", "actorId", "clientIp", "requestId"],
  "identity.servicePrincipal.removeSecret": ["appId", "keyId", "actorId", "clientIp", "requestId"],
  "management.token": ["outcome", "reason", "audience", "principalId", "clientId", "method", "path", "clientIp", "requestId"],
  "registry.token": ["endpoint", "outcome", "reason", "registry", "audience", "principalKind", "principalId", "access", "clientIp", "requestId"],
  "registry.token-aggregate": ["registry", "principalKind", "principalId", "from", "to", "firstAt", "lastAt", "count", "endpoints", "clients", "repositories", "repositoriesOmitted", "flush"],
  "login-failed": ["clientIp", "username", "endpoint", "registry", "count", "throttled", "firstAt", "lastAt"],
  "data-plane-denied": ["status", "reason", "effect", "rule", "via", "phase", "registry", "host", "method", "path", "clientIp", "requestId", "credentials"],
  "data-plane-denied-summary": ["from", "to", "suppressed", "sources", "untrackedSources"],
} as const satisfies { [K in AuditKind]: readonly FieldsOf<Member<K>>[] };

// Compile-time checks, the other directions: every listed kind has a member (Of<> checks that
// every member's kind is listed), and every field of every member is in AUDIT_FIELDS.
type Check<T extends true> = T;
type Unlisted = { [K in AuditKind]: Exclude<FieldsOf<Member<K>>, (typeof AUDIT_FIELDS)[K][number]> }[AuditKind];
export type EveryKindHasAMember = Check<AuditKind extends AuditEvent["kind"] ? true : false>;
export type EveryFieldListed = Check<[Unlisted] extends [never] ? true : false>;
