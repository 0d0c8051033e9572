// Step 3 of the pipeline in wire terms: where a connection arrived (the Via the decision needs, from
// the socket), and what a refused client receives. The decision itself is network-policy/decide.ts;
// this file only maps its effect onto HTTP, and names the one record a denial produces for the
// audit log and the metrics.
import type { Socket } from "node:net";
import type { Decision, Via } from "../network-policy/index.js";
import type { HandlerResult, ListenerInfo } from "./types.js";
import { unwrapMapped } from "../network-policy/ip-address.js";
import { OCI_ERRORS, catalogueMessage } from "../data-plane/errors.js";

export type Denied = Extract<Decision, { allow: false }>;

/** One refused connection or request, as the audit log and the metrics see it. */
export interface NetworkDenial {
  decision: Denied;
  via: Via;
  clientIp: string;
  /** "accept": refused before TLS; "request": refused by a request's check; "recheck": an open connection cut after a state change. */
  phase: "accept" | "request" | "recheck";
  /** Request fields, when a request was refused. */
  request?: { method: string; path: string; host: string; requestId: string; registry?: string };
}

/** The listener a socket arrived on, as the decision names it: the local address comes from the socket. */
export function viaOf(listener: ListenerInfo, socket: Socket | undefined): Via {
  const address = socket?.localAddress ? unwrapMapped(socket.localAddress) : listener.address;
  return { kind: listener.via === "private" ? "private" : "public", address };
}

/**
 * Azure's answer on the public endpoint when the registry's firewall refuses the client, byte for byte
 * (acr-networking.md 4.1): the same body for publicNetworkAccess=Disabled and for an IP not in the
 * rules, on every route. The entry is the catalogue's FIREWALL_DENIED (data-plane/errors.ts); its
 * message names the client address, and Azure sends no `detail`, so the body is built here rather
 * than by the mapper of thrown errors.
 */
export function firewallDenied(method: string, clientIp: string): HandlerResult {
  const e = OCI_ERRORS.FIREWALL_DENIED;
  const headers = { "Content-Type": "application/json; charset=utf-8", "Docker-Distribution-API-Version": "registry/2.0" };
  if (method === "HEAD") return { status: e.status, headers };
  const body = JSON.stringify({ errors: [{ code: e.code, message: catalogueMessage("FIREWALL_DENIED", { ip: clientIp }) }] });
  return { status: e.status, headers, body };
}
