// How Cove learns the client address: from the socket, always. X-Forwarded-For is believed only
// when the socket peer is a configured trusted proxy, and then only its right-most untrusted hop
// (a client can prepend anything it likes to the header). Whether the address is allowed is a
// separate question (network-policy/), kept apart on purpose.
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import { unwrapMapped } from "../network-policy/ip-address.js";

export function clientAddress(req: IncomingMessage, trustedProxies: ReadonlySet<string>): string {
  const peer = unwrapMapped(req.socket.remoteAddress ?? "");
  if (!trustedProxies.has(peer)) return peer;
  const header = req.headers["x-forwarded-for"];
  const value = Array.isArray(header) ? header.join(",") : header;
  if (!value) return peer;
  const hops = value.split(",").map((s) => unwrapMapped(s.trim())).filter((s) => isIP(s) !== 0);
  for (let i = hops.length - 1; i >= 0; i--) if (!trustedProxies.has(hops[i])) return hops[i];
  return peer;
}
