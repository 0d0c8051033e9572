// A request Cove makes itself, as a principal (a remediation runs as its assignment's identity):
// built as a client's request would arrive and handed to the front door (arm/types.ts InternalApi),
// so it meets the same route, permission, api-version, body checks, policy gate and audit.
import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import type { IncomingMessage } from "node:http";
import type { RequestContext } from "../../http/types.js";
import type { Principal } from "../../auth/types.js";
import type { InternalApi } from "../arm/types.js";
import type { Sent } from "./deployments.js";

export type Send = (method: string, id: string, apiVersion: string, body?: Record<string, unknown>) => Promise<Sent>;

/** A sender as `principal`; `correlationId` ties its requests to the remediation in the audit log and the headers. */
export function sendAs(internal: InternalApi, principal: Principal, host: string, correlationId: string): Send {
  return async (method, id, apiVersion, body) => {
    const rawPath = id.split("/").map((s) => encodeURIComponent(s)).join("/");
    const query = new URLSearchParams({ "api-version": apiVersion });
    const bytes = body === undefined ? [] : [Buffer.from(JSON.stringify(body))];
    const req = Readable.from(bytes) as unknown as IncomingMessage;
    const headers: IncomingMessage["headers"] = {
      host,
      "x-ms-correlation-request-id": correlationId,
      ...(body === undefined ? {} : { "content-type": "application/json", "content-length": String(bytes[0]!.length) }),
    };
    const ctx: RequestContext = {
      req,
      method,
      rawUrl: `${rawPath}?${query}`,
      rawPath,
      query,
      headers,
      host: host.replace(/:\d+$/, ""),
      clientIp: "127.0.0.1",
      listener: { kind: "management", address: "127.0.0.1", port: 0 },
      requestId: randomUUID(),
      principal,
    };
    const r = await internal.invoke(ctx);
    return { status: r.status, body: r.body };
  };
}
