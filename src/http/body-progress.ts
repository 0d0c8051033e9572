// The body-progress watchdog: a request body must keep arriving. Node's own
// requestTimeout is 0 on every listener, because a 5 GB layer at a normal speed may take as long as it
// needs; what is refused instead is a body that stalls: fewer than `minBytes` in an interval of
// `intervalMs` (a client that announced 100 GB and went quiet, or drips one byte every two seconds).
//
// Progress is read from the TLS socket's own byte counter (plaintext bytes), sampled by one timer per
// request that still has a body to come; no 'data' listener, so the body's flow mode is untouched.
// An interval counts against the client only when Cove had room for its bytes: when the body's
// buffer is full, Cove is the one not reading (a slow store, a handler not started yet), and TCP
// back-pressure is holding the client up, not the other way round.
import type { IncomingMessage } from "node:http";

export interface BodyProgressOptions {
  intervalMs: number;
  minBytes: number;
}

const nothing = (): void => undefined;

/**
 * Watches `req`'s body until it has arrived (or the request is gone); calls `onStall` at most once.
 * Returns the function that stops watching.
 */
export function watchBodyProgress(req: IncomingMessage, o: BodyProgressOptions, onStall: () => void): () => void {
  if (req.complete) return nothing;
  const socket = req.socket;
  let last = socket.bytesRead;
  const timer = setInterval(() => {
    if (req.complete || req.destroyed || socket.destroyed) return stop();
    const now = socket.bytesRead;
    const got = now - last;
    last = now;
    if (got >= o.minBytes) return;
    if (req.readableLength >= req.readableHighWaterMark) return;
    stop();
    onStall();
  }, o.intervalMs);
  // A stalled client must not keep the process alive on shutdown either.
  timer.unref();
  function stop(): void {
    clearInterval(timer);
    req.off("end", stop);
    req.off("close", stop);
  }
  req.once("end", stop);
  req.once("close", stop);
  return stop;
}
