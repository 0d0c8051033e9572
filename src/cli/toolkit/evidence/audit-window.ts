// The audit half of an evidence bundle, read through the management API as `cove audit verify`
// reads it: every page from the first record, so the hash chain and Cove's signed checkpoints are
// verified here, on the client, in the same pass that picks out the window's records. Pages are
// streamed (the next one is fetched while this one is checked) and dropped once read: memory holds
// the window's excerpt and running counts, never the log.
//
// The excerpt keeps every security-relevant record that concerns the registry exactly (control-
// plane writes on it and its network resources, connection transitions, denials, failed logins,
// the identity events of principals that hold rights on it); routine token issues (registry.token
// issued, registry.token-aggregate) are counted per principal, path and client (token-use.ts).
import type { KeyObject } from "node:crypto";
import { createPublicKey } from "node:crypto";
import { verifyAuditLog, type AuditLogVerification, type ReadAuditPage } from "../../../audit/verify-log.js";
import { readFileSync } from "node:fs";
import { Agent, request } from "node:https";
import { CliError, ServiceError } from "../../errors.js";
import { EXIT_ERROR } from "../../exit-codes.js";
import type { Session } from "../../session.js";
import { fingerprintOf } from "./keys.js";

/** A record as GET /cove/audit returns it: {seq, time, hash, event} (the CLI knows the log only through the API). */
export type AuditRecord = Awaited<ReturnType<ReadAuditPage>>[number];

const PAGE = 1000;
/** A log of 100 million records; the loop always ends. */
const MAX_PAGES = 100_000;

export interface AuditScope {
  /** Lower-cased resource id of the registry. */
  registryId: string;
  /** Lower-cased ids whose writes concern the registry: its endpoints, their NICs, zones, VNets. */
  related: Set<string>;
  /** The registry's private endpoint IPs -> the endpoint's lower-cased id. */
  endpointByIp: Map<string, string>;
  /** Lower-cased host names the registry answers to (login server, data endpoints). */
  hosts: Set<string>;
  /** Lower-cased object ids and app ids of the principals holding data-plane rights. */
  principals: Set<string>;
}

/** One record's event as stored: a kind (or, in older records, a type) and its fields. */
export type Ev = Record<string, any>;

/** docs/audit.md: readers take `type` when `kind` is absent or `auth` (records of older versions). */
export function kindOf(e: Ev): string {
  return typeof e.kind === "string" && e.kind !== "auth" ? e.kind : String(e.type ?? e.kind ?? "");
}

const low = (v: unknown) => String(v ?? "").toLowerCase();

/** Is this resource id the registry, one of its children, or one of the related resources (or theirs)? */
function concernsId(id: string, scope: AuditScope): boolean {
  const x = low(id);
  if (x === scope.registryId || x.startsWith(scope.registryId + "/")) return true;
  for (let p = x; p.includes("/"); p = p.slice(0, p.lastIndexOf("/"))) if (scope.related.has(p)) return true;
  // A role assignment at the registry or one of its ancestors (its rights are inherited).
  const at = x.indexOf("/providers/microsoft.authorization/roleassignments/");
  if (at >= 0) {
    const assignmentScope = x.slice(0, at) || "/";
    return scope.registryId === assignmentScope || scope.registryId.startsWith(assignmentScope.replace(/\/$/, "") + "/");
  }
  return false;
}

/** Routine token issues: counted, not listed. */
export function isTokenUse(e: Ev): boolean {
  const k = kindOf(e);
  return k === "registry.token-aggregate" || (k === "registry.token" && e.outcome === "issued");
}

/** Whether a record belongs in the registry's evidence (excerpt or counts). */
export function concerns(e: Ev, scope: AuditScope): boolean {
  const k = kindOf(e);
  switch (k) {
    case "control-plane":
      return concernsId(e.resourceId ?? "", scope) || (typeof e.cause === "string" && concernsId(e.cause, scope));
    case "private-endpoint-connection":
      return concernsId(e.resourceId ?? "", scope);
    case "registry.token":
    case "registry.token-aggregate":
    case "login-failed":
      return low(e.registry) === scope.registryId;
    case "data-plane-denied": {
      if (low(e.registry) === scope.registryId) return true;
      if (e.host && scope.hosts.has(low(e.host).replace(/:\d+$/, ""))) return true;
      const m = /^private:(.+)$/.exec(String(e.via ?? ""));
      return !!m && scope.endpointByIp.has(m[1]!);
    }
    case "identity.token":
    case "management.token":
      return scope.principals.has(low(e.principalId)) || scope.principals.has(low(e.clientId));
    case "identity.servicePrincipal.create":
    case "identity.servicePrincipal.delete":
    case "identity.servicePrincipal.addSecret":
    case "identity.servicePrincipal.removeSecret":
      return scope.principals.has(low(e.objectId)) || scope.principals.has(low(e.appId));
    default:
      return false;
  }
}

export interface AuditVerificationEvidence {
  result: AuditLogVerification;
  /** Where the chain was recomputed: here, on the client, over the records fetched. */
  checkedOn: "client";
  /** The key the checkpoints were checked with: the server's own, as it publishes it. */
  checkpointKey: { source: string; fingerprint: string };
}

export interface WindowSink {
  /** Every record of the window, in seq order. */
  add(record: AuditRecord): void;
}

/** Largest page answer read (a page of 1,000 records is well under 1 MB). */
const MAX_PAGE_BYTES = 16 * 1024 * 1024;

/**
 * GET of JSON pages over ONE kept-alive TLS connection: a request of its own per page (as
 * session.request makes it) would build a TLS context and handshake per page, which for 100
 * pages costs seconds and native memory that waits for a GC.
 */
function pageReader(s: Session) {
  const ca = s.profile.caCertPath ? readFileSync(s.profile.caCertPath) : undefined;
  const agent = new Agent({ keepAlive: true, maxSockets: 2, ca });
  const base = s.profile.managementEndpoint.replace(/\/+$/, "") + "/";
  const get = async <T>(path: string): Promise<T> => {
    const bearer = await s.token();
    const url = new URL(path, base);
    return new Promise<T>((resolve, reject) => {
      const req = request(url, { agent, headers: { authorization: `Bearer ${bearer}`, accept: "application/json" }, timeout: 30_000 }, (res) => {
        // Decoded as it arrives: strings live on the heap, where the GC frees them; a Buffer.concat
        // of each page would churn native memory that the allocator keeps.
        res.setEncoding("utf8");
        const chunks: string[] = [];
        let size = 0;
        res.on("data", (c: string) => {
          size += c.length;
          if (size > MAX_PAGE_BYTES) req.destroy(new Error(`the answer to ${url.pathname} exceeds ${MAX_PAGE_BYTES} characters`));
          else chunks.push(c);
        });
        res.on("end", () => {
          const text = chunks.join("");
          let body: any;
          try { body = text ? JSON.parse(text) : undefined; } catch { body = undefined; }
          if ((res.statusCode ?? 0) >= 400) reject(new ServiceError(res.statusCode ?? 0, body?.error?.code, body?.error?.message ?? `GET ${url.pathname} answered ${res.statusCode}`));
          else resolve(body as T);
        });
        res.on("error", reject);
      });
      req.on("timeout", () => req.destroy(Object.assign(new Error(`request to ${url.pathname} timed out`), { code: "ETIMEDOUT" })));
      req.on("error", reject);
      req.end();
    });
  };
  return { get, close: () => agent.destroy() };
}

async function pagedValues(s: Session, path: string): Promise<unknown[]> {
  const out: unknown[] = [];
  let after = 0;
  for (let i = 0; i < MAX_PAGES; i++) {
    const page = await s.request<{ value: unknown[]; nextLink?: string }>("GET", `${path}?after=${after}&limit=${PAGE}`);
    out.push(...(page?.value ?? []));
    const last = (page?.value?.at(-1) as { seq?: unknown } | undefined)?.seq;
    if (!page?.nextLink || typeof last !== "number" || last <= after) break;
    after = last;
  }
  return out;
}

/**
 * Reads the whole log once: verifies it, and hands every record with since <= time <= until to
 * `sink`. A broken chain is reported in the result; the rest of the log is still read, so the
 * excerpt shows what the log says while the verification says it does not hold.
 */
export async function readAuditWindow(s: Session, since: string, until: string, sink: WindowSink): Promise<AuditVerificationEvidence> {
  const jwk = await s.request<Record<string, unknown>>("GET", "/cove/audit/public-key?format=jwk");
  let key: KeyObject;
  try {
    const { kid: _k, use: _u, alg: _a, ...bare } = jwk ?? {};
    key = createPublicKey({ key: bare as never, format: "jwk" });
  } catch {
    throw new CliError("The management endpoint's audit public key (GET /cove/audit/public-key) is not an Ed25519 key.", EXIT_ERROR);
  }
  const checkpoints = await pagedValues(s, "/cove/audit/checkpoints");

  const reader = pageReader(s);
  try {
    return await readAll(reader.get, key, checkpoints, since, until, sink);
  } finally {
    reader.close();
  }
}

async function readAll(get: <T>(path: string) => Promise<T>, key: KeyObject, checkpoints: unknown[], since: string, until: string, sink: WindowSink): Promise<AuditVerificationEvidence> {
  let pages = 0;
  let lastSeen = 0;
  let ended = false;
  const fetchPage = (after: number) => {
    if (++pages > MAX_PAGES) throw new CliError("the audit log did not end after 100,000 pages", EXIT_ERROR);
    return get<{ value: AuditRecord[] }>(`/cove/audit?after=${after}&limit=${PAGE}`).then((p) => p?.value ?? []);
  };
  let ahead: { after: number; page: Promise<AuditRecord[]> } | undefined;
  const take = (page: readonly AuditRecord[]) => {
    for (const r of page) {
      if (r.seq <= lastSeen) continue;
      lastSeen = r.seq;
      if (r.time >= since && r.time <= until) sink.add(r);
    }
  };
  const readPage: ReadAuditPage = async (after, limit) => {
    if (ended) return []; // the last page was short: the log ended there
    const page = ahead && ahead.after === after ? await ahead.page : await fetchPage(after);
    ahead = undefined;
    if (page.length < Math.min(limit, PAGE)) ended = true;
    // Fetch the next page while this one is checked: verify asks for it next.
    else if (page.length > 0) {
      const next = page[page.length - 1]!.seq;
      const p = fetchPage(next);
      p.catch(() => undefined); // a failure surfaces when it is awaited
      ahead = { after: next, page: p };
    }
    take(page);
    return page;
  };
  const result = await verifyAuditLog(readPage, checkpoints, key);
  if (ahead) {
    // verify stopped early (a broken chain): the page fetched ahead still belongs to the window.
    const page = await ahead.page;
    take(page);
    if (page.length < PAGE) ended = true;
  }
  while (!ended) {
    const page = await fetchPage(lastSeen);
    if (page.length === 0 || page[page.length - 1]!.seq <= lastSeen) break;
    take(page);
    if (page.length < PAGE) ended = true;
  }
  return { result, checkedOn: "client", checkpointKey: { source: "GET /cove/audit/public-key", fingerprint: fingerprintOf(key) } };
}
