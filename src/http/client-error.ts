// What every HTTPS listener answers to a request Node's HTTP parser refuses (the server's
// 'clientError'): the catalogue of docs/errors.md "HTTP framing", which test/fuzz/http-fuzz.test.ts
// keeps equal to this table. No route, no body, Connection: close; logged at debug (a refusal of bad
// input is not a server error, and a flood of them must not become a flood of log lines).
//
// Why Cove answers instead of Node: Node's own reply writes and destroys the socket at once. Behind
// the pre-TLS gate (listener.ts hands the socket to TLS after its first bytes) the destroy came
// before TLS had sent the reply, so a client refused while it was still sending (a head over 16 KiB)
// got a bare close or a reset instead of its 431. Here the reply is written with end(): TLS flushes
// it, then close_notify and FIN. The socket goes when the client closes, or LINGER_MS after the
// reply at the latest, so a client that keeps sending cannot hold it.
import type { Socket } from "node:net";
import type { Logger } from "pino";

export interface FramingError {
  status: number;
  reason: string;
  when: string;
}

/** By Node's error code (CONNECT: the method, which Node hands to no route); `other` is every code not listed. */
export const FRAMING_ERRORS = {
  HPE_HEADER_OVERFLOW: { status: 431, reason: "Request Header Fields Too Large", when: "The request line and headers are longer than 16 KiB." },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: { status: 413, reason: "Payload Too Large", when: "The extensions of a chunk are longer than 16 KiB." },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, reason: "Request Timeout", when: "The request line and headers did not arrive whole within headersTimeoutSeconds." },
  CONNECT: { status: 405, reason: "Method Not Allowed", when: "The method is CONNECT: no listener is a proxy." },
  other: { status: 400, reason: "Bad Request", when: "Anything else the HTTP/1.1 parser refuses: a bad request line, method or version; a header name or value with bytes HTTP forbids (CR, LF, NUL); Content-Length together with Transfer-Encoding, a bad or repeated Content-Length, a bad chunk size or chunk end; the connection closed inside a request." },
} as const satisfies Record<string, FramingError>;

const LINGER_MS = 1000;
const answered = new WeakSet<Socket>();

/** The 'clientError' listener of one https.Server. */
export function answerClientError(log: Logger, listener: string) {
  return (err: NodeJS.ErrnoException, socket: Socket): void => {
    // The parser reports every later chunk of a refused connection again: answer once.
    if (answered.has(socket)) return;
    answered.add(socket);
    // Bytes of an answer already on the wire (a pipelined request behind it): a reply now would corrupt it.
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
    if (err.code === "ECONNRESET" || !socket.writable || inFlight) { socket.destroy(); return; }
    refuse(socket, FRAMING_ERRORS[err.code as keyof typeof FRAMING_ERRORS] ?? FRAMING_ERRORS.other, err.code, log, listener);
  };
}

/** The 'connect' listener: without one Node closes a CONNECT request's connection without a word. */
export function answerConnect(log: Logger, listener: string) {
  return (_req: unknown, socket: Socket): void => refuse(socket, FRAMING_ERRORS.CONNECT, "CONNECT", log, listener);
}

function refuse(socket: Socket, e: FramingError, code: string | undefined, log: Logger, listener: string): void {
  log.debug({ listener, code, status: e.status, client: socket.remoteAddress }, "request refused by the HTTP parser");
  socket.end(`HTTP/1.1 ${e.status} ${e.reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  const linger = setTimeout(() => socket.destroy(), LINGER_MS);
  linger.unref();
  socket.once("close", () => clearTimeout(linger));
}
