// Many requests on one keep-alive TLS connection, for denial-flood.test.ts: 100,000 requests in a
// minute on 2 cores leave no room for a handshake each. `pipelinedGets` sends `count` GETs from one
// source address, at most `window` of them unanswered at a time (HTTP/1.1 pipelining: Node's server
// answers them in order) and, with `intervalMs`, on a schedule of one every `intervalMs` (sooner
// never; later when the answers come later), reads the answers by their Content-Length, and
// reconnects (counted) if the server closes the connection before all are answered. Bounded: it
// gives up after `limitMs`.
import { connect, type TLSSocket } from "node:tls";

export interface PipelineOptions {
  host: string;
  port: number;
  from: string;
  servername: string;
  ca: string;
  /** A TLS session to resume (see slow-clients.ts `tlsSession`). */
  session?: Buffer;
  /** The request head, sent as it is for each request. */
  head: string;
  count: number;
  window: number;
  /** The schedule: request k is not sent before start + k x intervalMs. */
  intervalMs?: number;
  limitMs?: number;
}

export interface PipelineResult {
  /** Answers by status. */
  statuses: Map<number, number>;
  /** The first answer's body. */
  firstBody: string;
  /** Connections the server closed before every request was answered. */
  reconnects: number;
  /** Of those, the ones closed after answering on them (a server that ends keep-alive after an answer). */
  closedAfterAnswer: number;
  error?: string;
}

export function pipelinedGets(o: PipelineOptions): Promise<PipelineResult> {
  return new Promise((resolve) => {
    const statuses = new Map<number, number>();
    let answered = 0;
    let firstBody: string | undefined;
    let reconnects = 0;
    let closedAfterAnswer = 0;
    let done = false;
    let socket: TLSSocket;
    const started = Date.now();
    let paced: NodeJS.Timeout | undefined;
    const finish = (error?: string) => {
      if (done) return;
      done = true;
      clearTimeout(limit);
      clearTimeout(paced);
      socket.destroy();
      resolve({ statuses, firstBody: firstBody ?? "", reconnects, closedAfterAnswer, ...(error ? { error } : {}) });
    };
    const limit = setTimeout(() => finish(`${answered} of ${o.count} answered within ${o.limitMs ?? 60_000} ms`), o.limitMs ?? 60_000);
    const open = () => {
      let sent = answered;
      const answeredBefore = answered;
      let buf = "";
      socket = connect({ host: o.host, port: o.port, localAddress: o.from, servername: o.servername, ca: o.ca, session: o.session } as any);
      const fill = () => {
        if (done || paced) return;
        let batch = "";
        while (sent < o.count && sent - answered < o.window) {
          const wait = o.intervalMs ? started + sent * o.intervalMs - Date.now() : 0;
          if (wait > 0) { paced = setTimeout(() => { paced = undefined; fill(); }, wait); break; }
          batch += o.head;
          sent++;
        }
        if (batch) socket.write(batch);
      };
      socket.once("secureConnect", fill);
      socket.on("data", (chunk: Buffer) => {
        buf += chunk.toString("latin1");
        for (;;) {
          const end = buf.indexOf("\r\n\r\n");
          if (end < 0) break;
          const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0);
          if (buf.length < end + 4 + length) break;
          const status = Number(buf.slice(9, 12));
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          firstBody ??= buf.slice(end + 4, end + 4 + length);
          buf = buf.slice(end + 4 + length);
          answered++;
        }
        if (answered >= o.count) finish();
        else fill();
      });
      socket.on("error", () => undefined);
      socket.on("close", () => {
        if (done) return;
        if (reconnects >= 100) return finish(`the server closed the connection ${reconnects} times`);
        reconnects++;
        if (answered > answeredBefore) closedAfterAnswer++;
        clearTimeout(paced);
        paced = undefined;
        open();
      });
    };
    open();
  });
}
