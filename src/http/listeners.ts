// Listeners follow the state: besides the management and public
// listeners, one HTTPS listener on registryPort at EVERY IP of every private endpoint (login-server
// member and data member), opened when the endpoint appears in the network snapshot and closed,
// with its open connections cut, when it goes. `reconcile()` is a subscriber of the state view
// (src/state/): the view awaits it before a write is answered, so "the endpoint exists" and "its IP
// answers" are true together, well within the one second the issue allows).
//
// At TCP accept, before TLS, each connection meets the network decision for its endpoint IP: a client
// outside the endpoint's VNet and its peers, or any client while the connection is not Approved, is
// dropped (DeniedConnections). On every snapshot change the open connections are decided again, so a
// rejection or a deletion cuts the clients already connected, and an approval lets held ones through.
//
// A bind failure (address in use, an address this host does not have, no permission) is logged and
// the address retried at the next change: one unusable endpoint IP must not take the registry down.
// It is logged once per IP and reason (retries that fail the same way log at debug), and kept as the
// IP's listener status, which the management API shows on the private endpoint (`status()`).
import type { RequestListener } from "node:http";
import type { Socket } from "node:net";
import type { Logger } from "pino";
import { decide, type NetworkSnapshot } from "../network-policy/index.js";
import { unwrapMapped } from "../network-policy/ip-address.js";
import type { DeniedConnections } from "./denied-connections.js";
import { resetSocket } from "./denied-connections.js";
import { openListener, type Listener, type TlsMaterial } from "./listener.js";
import type { NetworkDenial } from "./network-step.js";
import type { ListenerInfo } from "./types.js";

export interface PrivateListenersOptions {
  port: number;
  log: Logger;
  material(): TlsMaterial;
  onRequest(info: ListenerInfo): RequestListener;
  snapshot(): NetworkSnapshot;
  denied: DeniedConnections;
  /** Proxies are decided per request (their X-Forwarded-For names the client), not at accept. */
  trustedProxies: ReadonlySet<string>;
  /** Addresses other listeners already hold on this port (the public address): never bound twice. */
  reserved: ReadonlySet<string>;
  onDenial(d: NetworkDenial): void;
  onConnection?(socket: Socket, info: ListenerInfo): void;
  /** See ListenerOptions.handshakeTimeoutMs. */
  handshakeTimeoutMs?: number;
  /** See ListenerOptions.headersTimeoutMs. */
  headersTimeoutMs?: number;
  /** See ListenerOptions.keepAliveTimeoutMs. */
  keepAliveTimeoutMs?: number;
  /**
   * Runs first in every reconcile with the snapshot it is for: the lab puts the endpoint IPs on its
   * device here (src/lab/controller.ts), so they exist when they are bound. A failure is logged;
   * the binds still run and report their own errors.
   */
  prepare?(snapshot: NetworkSnapshot): Promise<void>;
}

/** What the registry listener on one endpoint IP is doing; `error` and `hint` only when Failed. */
export interface PrivateListenerStatus {
  state: "Listening" | "Failed" | "Pending";
  error?: string;
  hint?: string;
}

export class PrivateListeners {
  private readonly open = new Map<string, Listener>();
  /** The last bind failure per wanted IP: what status() reports, and what keeps the log to one line. */
  private readonly failures = new Map<string, { code: string; error: string; hint?: string }>();
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly o: PrivateListenersOptions) {}

  /** Brings the listeners in line with the current snapshot; calls run one after another. */
  reconcile(): Promise<void> {
    const run = this.chain.then(() => this.apply());
    this.chain = run.catch((err) => { this.o.log.error({ err: (err as Error).message }, "private listeners: reconcile failed"); });
    return this.chain;
  }

  /** Resolves once every reconcile asked for so far has run. */
  settled(): Promise<void> {
    return this.chain;
  }

  /** The endpoint IPs listening right now. */
  addresses(): string[] {
    return [...this.open.keys()];
  }

  listeners(): Listener[] {
    return [...this.open.values()];
  }

  /**
   * The listener status of one endpoint IP: Listening (an endpoint IP equal to the public address is
   * served by the public listener), Failed with the bind error, or Pending before the first attempt.
   */
  status(ip: string): PrivateListenerStatus {
    const addr = unwrapMapped(ip);
    if (this.open.has(addr) || this.o.reserved.has(addr)) return { state: "Listening" };
    const f = this.failures.get(addr);
    if (f) return { state: "Failed", error: f.error, ...(f.hint ? { hint: f.hint } : {}) };
    return { state: "Pending" };
  }

  setSecureContext(material: TlsMaterial): void {
    for (const l of this.open.values()) l.setSecureContext(material);
  }

  /** Closes every private listener (shutdown); with `cut`, their connections go at once. */
  async close(cut: boolean): Promise<void> {
    this.closed = true;
    await this.chain;
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map((l) => l.close(cut)));
  }

  private decideSocket(socket: Socket): ReturnType<typeof decide> | undefined {
    const clientIp = unwrapMapped(socket.remoteAddress ?? "");
    if (this.o.trustedProxies.has(clientIp)) return undefined;
    const address = unwrapMapped(socket.localAddress ?? "");
    return decide(this.o.snapshot(), { kind: "private", address }, clientIp);
  }

  private gate = (socket: Socket, admit: (s: Socket) => void): void => {
    const d = this.decideSocket(socket);
    // "forbidden" needs a Host header (another registry's name): only a request can be refused that way.
    if (!d || d.allow || d.effect !== "drop") { admit(socket); return; }
    const address = unwrapMapped(socket.localAddress ?? "");
    this.o.onDenial({ decision: d, via: { kind: "private", address }, clientIp: unwrapMapped(socket.remoteAddress ?? ""), phase: "accept" });
    this.o.denied.deny(socket, () => {
      const again = this.decideSocket(socket);
      if (again && !again.allow && again.effect === "drop") return false;
      const listener = this.open.get(address);
      if (!listener) return false;
      listener.admit(socket);
      return true;
    });
  };

  private async apply(): Promise<void> {
    if (this.closed) return;
    const snapshot = this.o.snapshot();
    if (this.o.prepare) {
      try { await this.o.prepare(snapshot); } catch (err) { this.o.log.error({ err: (err as Error).message }, "private listeners: preparing the endpoint addresses failed"); }
    }
    const wanted = new Set(snapshot.endpointAddresses().map((a) => unwrapMapped(a.ip)));
    for (const ip of this.o.reserved) {
      if (wanted.delete(ip)) this.o.log.warn({ address: ip, port: this.o.port }, "a private endpoint IP equals the public address; the public listener serves it");
    }

    // Gone: close, cut open and held connections.
    const closing: Promise<void>[] = [];
    for (const [ip, l] of this.open) {
      if (wanted.has(ip)) continue;
      this.open.delete(ip);
      this.o.denied.cut((s) => unwrapMapped(s.localAddress ?? "") === ip && s.localPort === this.o.port);
      closing.push(l.close(true));
      this.o.log.info({ address: ip, port: this.o.port }, "private endpoint listener closed");
    }

    for (const ip of this.failures.keys()) if (!wanted.has(ip)) this.failures.delete(ip);

    // New: bind. Failures are retried at the next change.
    await Promise.all([...wanted].filter((ip) => !this.open.has(ip)).map(async (ip) => {
      const info: ListenerInfo = { kind: "registry", via: "private", address: ip, port: this.o.port };
      try {
        const l = await openListener({
          info, material: this.o.material(), onRequest: this.o.onRequest(info), log: this.o.log, gate: this.gate, handshakeTimeoutMs: this.o.handshakeTimeoutMs, headersTimeoutMs: this.o.headersTimeoutMs, keepAliveTimeoutMs: this.o.keepAliveTimeoutMs,
          onConnection: this.o.onConnection ? (s) => this.o.onConnection!(s, info) : undefined,
        });
        if (this.closed || !wanted.has(ip)) { await l.close(true); return; }
        this.open.set(ip, l);
        this.failures.delete(ip);
        this.o.log.info({ address: ip, port: this.o.port }, "private endpoint listener open");
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? "error";
        const hint = hintFor(code);
        const known = this.failures.get(ip)?.code === code;
        const message = (err as Error).message;
        this.failures.set(ip, { code, error: message.includes(code) ? message : `${code}: ${message}`, hint });
        // Every change retries the bind; only a new reason is worth a warning.
        const fields = { address: ip, port: this.o.port, code, err: message, hint };
        if (known) this.o.log.debug(fields, "private endpoint listener still cannot bind");
        else this.o.log.warn(fields, "private endpoint listener could not bind; retried at the next change");
      }
    }));

    // Still open: decide every admitted connection again; cut the ones now refused.
    for (const [ip, l] of this.open) {
      for (const socket of [...l.connections]) {
        const d = this.decideSocket(socket);
        if (!d || d.allow || d.effect !== "drop") continue;
        this.o.onDenial({ decision: d, via: { kind: "private", address: ip }, clientIp: unwrapMapped(socket.remoteAddress ?? ""), phase: "recheck" });
        resetSocket(socket);
      }
    }
    // Held connections now allowed (an approval) go through.
    this.o.denied.recheck();
    await Promise.all(closing);
  }
}

function hintFor(code: string | undefined): string | undefined {
  if (code === "EADDRINUSE") return "another process (or listener) holds this address and port";
  if (code === "EADDRNOTAVAIL") return "this host has no such address: use VNet prefixes inside 127.0.0.0/8 (loopback mode) or add the address to an interface";
  if (code === "EACCES") return "binding this port needs privileges (ports below 1024 need root or CAP_NET_BIND_SERVICE)";
  return undefined;
}
