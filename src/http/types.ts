// The contract between the HTTP glue (listeners, the request pipeline) and every handler.
// Handlers receive a RequestContext and RETURN a HandlerResult; one adapter (http/respond.ts)
// writes it to the socket. Handlers never touch `res` (house style habit 6).

import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";

export type ListenerKind = "management" | "registry";

export interface ListenerInfo {
  kind: ListenerKind;
  /** Local address and port the socket was accepted on (from the socket, never a header). */
  address: string;
  port: number;
  /**
   * For registry listeners: the public endpoint (publicAddress:registryPort) or a private endpoint IP.
   * Absent means "public" (private endpoint listeners say "private"; the network decision depends on it).
   */
  via?: "public" | "private";
}

export interface RequestContext {
  /** The raw request: read the body from it as a stream (never buffer blobs whole). */
  req: IncomingMessage;
  method: string;
  /** Raw request target as received, e.g. "/v2/library%2Fhello/blobs/uploads/?digest=..". */
  rawUrl: string;
  /** Path with `//` collapsed, NOT percent-decoded. Routers decode per segment/parameter. */
  rawPath: string;
  query: URLSearchParams;
  headers: IncomingMessage["headers"];
  /** Host header without port, lower-cased ("" when absent). */
  host: string;
  /** Client address from the socket (or from a configured trusted proxy only). IPv4-mapped IPv6 is unwrapped. */
  clientIp: string;
  listener: ListenerInfo;
  /** Unique per request; echoed as `x-ms-request-id` / used in audit records. */
  requestId: string;
  /** Set by the pipeline's authentication step. */
  principal?: Principal;
}

/** Body kinds the adapter can write: JSON-serialised object, bytes/string, or a stream. */
export type Body = Buffer | string | Readable | object | undefined;

export interface HandlerResult {
  status: number;
  headers?: Record<string, string | number | string[]>;
  body?: Body;
}

export type Handler = (ctx: RequestContext, params: Record<string, string>) => Promise<HandlerResult>;

import type { Principal } from "../auth/types.js";
