// After `network private-endpoint create`: warn when the registry cannot listen on an endpoint IP.
// In loopback mode Cove binds every endpoint IP on this host, which works for 127.0.0.0/8 only; an
// Azure-style prefix such as 10.20.0.0/16 gives an endpoint that exists in the model while nothing
// answers on its addresses. The server reports that as the Cove extension
// `properties.listenerStatus`, which the SDK's deserializer drops, so this reads the endpoint raw.
// The warning goes to stderr and never changes the exit code: the endpoint was created.
import type { Session } from "../session.js";

/** An api-version Cove accepts for Microsoft.Network (@azure/arm-network 36 sent it); any supported one returns the extension. */
const NETWORK_API_VERSION = "2025-05-01";

interface ListenerEntry {
  ipAddress: string;
  fqdn?: string;
  state: string;
  error?: string;
  hint?: string;
}

/** The fix to print for one failed IP: the loopback-mode rule for a missing address, else the server's hint. */
function fixFor(entry: ListenerEntry): string {
  if (/EADDRNOTAVAIL/.test(entry.error ?? "")) {
    return "In loopback mode VNet prefixes must be in 127.0.0.0/8; use e.g. --address-prefixes 127.16.0.0/16 " +
      "--subnet-prefixes 127.16.1.0/24 for the VNet, or give this host the address (README: Loopback mode).";
  }
  return entry.hint ? `${entry.hint}.` : "See the server's log.";
}

/** One warning line per endpoint IP the registry could not bind; nothing when all listen. */
export async function warnIfNotListening(s: Session, endpointId: string | undefined, warn: (m: string) => void): Promise<void> {
  if (!endpointId) return;
  let entries: ListenerEntry[];
  try {
    const pe = await s.request<{ name?: string; properties?: { listenerStatus?: ListenerEntry[] } }>(
      "GET", `${endpointId}?api-version=${NETWORK_API_VERSION}`);
    entries = pe?.properties?.listenerStatus ?? [];
  } catch {
    return; // the endpoint was created; an unreadable status is not worth failing the command
  }
  const name = endpointId.split("/").pop();
  for (const e of entries) {
    if (e.state !== "Failed") continue;
    const what = e.fqdn ? `${e.ipAddress} (${e.fqdn})` : e.ipAddress;
    warn(`Private endpoint '${name}' was created, but the registry cannot listen on ${what}: ${e.error ?? "bind failed"}. ${fixFor(e)}`);
  }
}
