// Slow clients for slowloris.test.ts: one connection from a chosen source address that says as little
// as it likes, as slowly as it likes, and reports when the server closed it. Bounded: every client
// gives up by itself after `limitMs` (and then says so), drips stop at the close.
//   slowConnection(o)      TCP, or TLS with a real handshake (o.tls), then o.script(w) writes; resolves
//                          with the time from the clock's start (the connect, the end of the handshake,
//                          or w.mark()) to the server's close, and what the server sent.
//   tlsSession(o)          a session ticket of a listener, so slow TLS clients resume (cheap handshakes).
//   dripBytes(text, ms)    a script: one byte of `text` every `ms`, never the whole of it.
//   ramp(perStep, stepMs)  spreads the starts of a phase's connections: hundreds of TLS handshakes at
//                          the same instant on 2 cores outlast a 2 s handshake bound by themselves.
//   summarize(results)     min/max close times, answers, and those still open, for the test's output.
import { connect as tcpConnect, type Socket } from "node:net";
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import { setTimeout as sleep } from "node:timers/promises";

export interface Writer {
  write(b: Buffer | string): void;
  /** Restarts the clock (the request head is out, the body begins). */
  mark(): void;
  closed(): boolean;
}

export interface SlowResult {
  /** Milliseconds from the clock's start to the server's close; undefined: still open at limitMs. */
  closedAfterMs: number | undefined;
  /** Everything the server sent, latin1. */
  text: string;
  /** Bytes the script wrote. */
  sent: number;
  /** The TLS handshake failed or the connection was refused before the script ran. */
  error?: string;
  /** The TLS session was resumed (an abbreviated handshake). */
  resumed?: boolean;
}

export interface SlowOptions {
  host: string;
  port: number;
  from?: string;
  /** A real TLS handshake first (resuming `session`, when given); the clock then starts at its end. */
  tls?: { servername?: string; ca: string; session?: Buffer };
  script(w: Writer): Promise<void> | void;
  limitMs?: number;
}

export function slowConnection(o: SlowOptions): Promise<SlowResult> {
  return new Promise((resolve) => {
    const socket: Socket = o.tls
      ? tlsConnect({ host: o.host, port: o.port, localAddress: o.from, servername: o.tls.servername, ca: o.tls.ca, session: o.tls.session } as any)
      : tcpConnect({ host: o.host, port: o.port, localAddress: o.from });
    let start = 0;
    let text = "";
    let sent = 0;
    let ran = false;
    let done = false;
    let resumed: boolean | undefined;
    const finish = (closedAfterMs: number | undefined, error?: string) => {
      if (done) return;
      done = true;
      clearTimeout(limit);
      resolve({ closedAfterMs, text, sent, ...(error ? { error } : {}), ...(resumed !== undefined ? { resumed } : {}) });
    };
    const limit = setTimeout(() => { finish(undefined); socket.destroy(); }, o.limitMs ?? 20_000);
    const w: Writer = {
      write: (b) => { if (!done && !socket.destroyed) { sent += b.length; socket.write(b); } },
      mark: () => { start = Date.now(); },
      closed: () => done,
    };
    socket.once(o.tls ? "secureConnect" : "connect", () => {
      ran = true;
      if (o.tls) resumed = (socket as TLSSocket).isSessionReused();
      start = Date.now();
      void Promise.resolve(o.script(w)).catch(() => undefined);
    });
    socket.on("data", (c: Buffer) => { text += c.toString("latin1"); });
    socket.on("error", (e) => { if (!ran) finish(undefined, e.message); });
    socket.on("close", () => finish(ran ? Date.now() - start : undefined, ran ? undefined : "closed before the script ran"));
  });
}

/**
 * A TLS session of `host:port` to resume: hundreds of slow clients then cost the server (and this
 * process) an abbreviated handshake each, as a client that means harm would arrange.
 */
export function tlsSession(o: { host: string; port: number; from?: string; servername?: string; ca: string }): Promise<Buffer> {
  return new Promise((ok, fail) => {
    const s = tlsConnect({ host: o.host, port: o.port, localAddress: o.from, servername: o.servername, ca: o.ca } as any);
    s.once("session", (session: Buffer) => { ok(session); s.destroy(); });
    s.once("error", fail);
  });
}

/** One byte of `text` every `everyMs` until the server closes; never the last byte. */
export const dripBytes = (text: string, everyMs: number) => async (w: Writer) => {
  for (let i = 0; i < text.length - 1 && !w.closed(); i++) {
    w.write(text[i]!);
    await sleep(everyMs);
  }
};

/** `next()` resolves `perStep` callers every `stepMs`, in call order, from the first call on. */
export function ramp(perStep: number, stepMs: number): { next(): Promise<void> } {
  let count = 0;
  let start = 0;
  return {
    next() {
      if (count === 0) start = Date.now();
      const at = start + Math.floor(count++ / perStep) * stepMs;
      return sleep(Math.max(0, at - Date.now()));
    },
  };
}

/** "n closed after min-max ms" plus what they were answered, for the test's output and failure messages. */
export function summarize(label: string, results: SlowResult[]): string {
  const times = results.map((r) => r.closedAfterMs).filter((t): t is number => t !== undefined);
  const statuses = new Map<string, number>();
  for (const r of results) {
    const s = /^HTTP\/1\.1 (\d{3})/.exec(r.text)?.[1] ?? (r.text ? "bytes" : r.error ? "error" : "nothing");
    statuses.set(s, (statuses.get(s) ?? 0) + 1);
  }
  const open = results.length - times.length;
  const resumed = results.filter((r) => r.resumed).length;
  return `${label}: ${times.length} closed after ${Math.min(...times)}-${Math.max(...times)} ms${open ? `, ${open} still open` : ""}; answered ${[...statuses].map(([k, v]) => `${k} x${v}`).join(", ")}` +
    (results.some((r) => r.resumed !== undefined) ? `; ${resumed} TLS sessions resumed` : "");
}
