// A TCP load balancer on loopback, as an operator puts in front of several Cove nodes: each new
// connection goes to the next backend in turn, bytes pass through untouched (TLS ends at the node,
// so every node's certificate must name the balancer's address: managementUrl does that).
import { createServer, connect, type Server, type Socket } from "node:net";

export interface TcpBalancer {
  /** The balancer's port on 127.0.0.1. */
  port: number;
  /** How many connections each backend was given, in backend order. */
  counts(): number[];
  close(): Promise<void>;
}

export async function startTcpBalancer(backends: { host: string; port: number }[], listenPort = 0): Promise<TcpBalancer> {
  const counts = backends.map(() => 0);
  const open = new Set<Socket>();
  let next = 0;
  const server: Server = createServer((client) => {
    const k = next++ % backends.length;
    counts[k]!++;
    const upstream = connect(backends[k]!);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on("close", () => open.delete(s));
      s.on("error", () => { client.destroy(); upstream.destroy(); });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((ok, fail) => { server.once("error", fail); server.listen(listenPort, "127.0.0.1", () => ok()); });
  const port = (server.address() as { port: number }).port;
  return {
    port,
    counts: () => [...counts],
    close: () => new Promise<void>((ok) => { for (const s of open) s.destroy(); server.close(() => ok()); }),
  };
}
