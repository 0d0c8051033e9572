// What happens to a connection the network decision refuses at a private endpoint IP. Azure drops
// the packets, and clients report `i/o timeout` after their own deadline; Cove cannot refuse the TCP
// handshake itself (the kernel completes it before accept), so it does the next best thing: it keeps
// the socket open, never reads from it and never answers the TLS ClientHello, until the client gives
// up. A flood of such connections must not exhaust file descriptors, so the pool is bounded twice:
// each held socket is destroyed after `holdMs`, and beyond `max` held sockets new ones are reset.
//
// Mode "reset" (config privateEndpointDenyMode) closes at once with a TCP RST: the same decision,
// observable in milliseconds, for tests.
import type { Socket } from "node:net";

export type DenyMode = "drop" | "reset";

export interface DeniedConnections {
  readonly mode: DenyMode;
  /**
   * Drops or resets a refused socket. `retry`, for a socket refused before its TLS handshake, is
   * asked again on every state change (recheck): when it returns true the socket has been admitted
   * and leaves the pool, as a client's retransmitted SYN gets through once an endpoint is approved.
   */
  deny(socket: Socket, retry?: () => boolean): void;
  /** Re-asks every held socket's `retry` (after a snapshot change). */
  recheck(): void;
  /** Cuts the held sockets that match (a listener closing cuts the ones held on its address). */
  cut(match: (socket: Socket) => boolean): void;
  /** How many sockets are held right now. */
  size(): number;
  closeAll(): void;
}

export interface DeniedConnectionsOptions {
  mode: DenyMode;
  /** A held socket is destroyed after this long (clients usually give up well before). */
  holdMs?: number;
  /** At most this many held sockets; more are reset. */
  max?: number;
}

/** Closes with a TCP RST where the socket allows it (a plain TCP socket), else an ordinary close. */
export function resetSocket(socket: Socket): void {
  try {
    socket.resetAndDestroy();
  } catch {
    // A TLS socket's handle is not a TCP handle: resetAndDestroy refuses; close it normally.
    socket.destroy();
  }
}

export function createDeniedConnections(o: DeniedConnectionsOptions): DeniedConnections {
  const holdMs = o.holdMs ?? 60_000;
  const max = o.max ?? 1024;
  const held = new Map<Socket, { timer: NodeJS.Timeout; retry?: () => boolean }>();

  const release = (socket: Socket) => {
    const h = held.get(socket);
    if (h) { clearTimeout(h.timer); held.delete(socket); }
  };

  return {
    mode: o.mode,
    deny(socket, retry) {
      if (o.mode === "reset" || held.size >= max) {
        resetSocket(socket);
        return;
      }
      socket.pause();
      // Errors on a held socket (the client's RST when it gives up) are expected; just forget it.
      socket.on("error", () => undefined);
      socket.once("close", () => release(socket));
      const timer = setTimeout(() => { release(socket); socket.destroy(); }, holdMs);
      timer.unref();
      held.set(socket, { timer, retry });
    },
    recheck() {
      // `retry` hands an admitted socket to the TLS server; from then on it is not ours to time out.
      for (const [socket, h] of [...held]) if (h.retry && !socket.destroyed && h.retry()) release(socket);
    },
    cut(match) {
      for (const socket of [...held.keys()]) if (match(socket)) { release(socket); socket.destroy(); }
    },
    size: () => held.size,
    closeAll() {
      for (const socket of [...held.keys()]) { release(socket); socket.destroy(); }
    },
  };
}
