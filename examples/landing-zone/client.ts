// What a client on one network sees: it resolves names through Cove's DNS server FROM its own
// source address (so it gets its network's view), then connects from that address. Failures are
// reported in the words real clients use (`no such host`, `i/o timeout`, `denied: ...`).
import { createSocket } from "node:dgram";
import { request } from "node:https";
import { randomInt } from "node:crypto";
import dnsPacket from "dns-packet";

export interface Resolution {
  chain: string[];
  ip?: string;
  rcode: string;
}

export async function resolve(dns: { host: string; port: number }, name: string, source: string): Promise<Resolution> {
  const sock = createSocket("udp4");
  await new Promise<void>((ok, fail) => { sock.once("error", fail); sock.bind(0, source, () => ok()); });
  try {
    const query = dnsPacket.encode({ type: "query", id: randomInt(65535), flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: "A", name }] });
    const answer = await new Promise<Buffer>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error("DNS timeout")), 2000);
      sock.once("message", (m) => { clearTimeout(timer); ok(m); });
      sock.send(query, dns.port, dns.host);
    });
    const p = dnsPacket.decode(answer);
    const chain = (p.answers ?? []).map((a: any) => `${a.name} ${a.type} ${a.data}`);
    const a = (p.answers ?? []).find((x: any) => x.type === "A") as any;
    return { chain, ip: a?.data, rcode: (p as any).rcode ?? "NOERROR" };
  } finally {
    sock.close();
  }
}

export interface Seen {
  ok: boolean;
  status?: number;
  text: string;
}

/** GET https://<host>:<port><path> from `source`, resolving `host` through Cove's DNS. */
export async function get(opts: {
  dns: { host: string; port: number }; host: string; port: number; path: string; source: string; ca: string;
  headers?: Record<string, string>; timeoutMs?: number; followRedirect?: boolean;
}): Promise<Seen> {
  const r = await resolve(opts.dns, opts.host, opts.source);
  if (!r.ip) return { ok: false, text: `dial tcp: lookup ${opts.host}: no such host (${r.rcode})` };
  return new Promise<Seen>((done) => {
    const req = request({
      host: r.ip, port: opts.port, path: opts.path, servername: opts.host, localAddress: opts.source, ca: opts.ca,
      headers: { host: `${opts.host}:${opts.port}`, ...(opts.headers ?? {}) }, agent: false,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", async () => {
        const body = Buffer.concat(chunks).toString("utf8");
        if (res.statusCode === 307 && opts.followRedirect && res.headers.location) {
          const u = new URL(res.headers.location);
          done(await get({ ...opts, host: u.hostname, port: Number(u.port), path: u.pathname + u.search, headers: {} }));
          return;
        }
        const ok = (res.statusCode ?? 0) < 300;
        let text = `HTTP ${res.statusCode} via ${r.ip}`;
        if (!ok) {
          try {
            const e = JSON.parse(body).errors[0];
            text = `${String(e.code).toLowerCase()}: ${e.message}`;
          } catch { text += ` ${body.slice(0, 200)}`; }
        } else text += ` (${Buffer.byteLength(body)} bytes)`;
        done({ ok, status: res.statusCode, text });
      });
    });
    req.setTimeout(opts.timeoutMs ?? 3000, () => {
      req.destroy();
      done({ ok: false, text: `dial tcp ${r.ip}:${opts.port}: i/o timeout` });
    });
    req.on("error", (e: NodeJS.ErrnoException) => done({ ok: false, text: `dial tcp ${r.ip}:${opts.port}: ${e.code ?? e.message}` }));
    req.end();
  });
}
