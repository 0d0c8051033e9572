// The hot path's own reader and writer for RFC 1035 messages. A query is parsed without building
// objects for every record (dns-packet's decode allocates a tree per message, too slow for the
// dnsperf target): the header, the one question (lower-cased for lookups, its bytes kept so that the
// answer echoes the question exactly as asked) and the EDNS(0) OPT record (RFC 6891). Records in
// the answer and authority sections are encoded once by codec.ts and cached; this file stitches a
// cached body behind a fresh header and the asked question.

import type { RcodeName } from "./rcodes.js";
import { RCODES } from "./rcodes.js";

export const HEADER_LEN = 12;
const MAX_NAME = 255; // RFC 1035 section 2.3.4: a name is at most 255 octets on the wire
const MAX_LABEL = 63;
/** Our advertised and largest UDP payload: the DNS flag day 2020 value, which avoids IP fragmentation. */
export const SERVER_UDP_SIZE = 1232;
/** RFC 1035 section 4.2.1: without EDNS a UDP message is at most 512 octets. */
export const CLASSIC_UDP_SIZE = 512;
const TYPE_OPT = 41;
const OPCODE_QUERY = 0;

export interface Edns {
  /** The requestor's UDP payload size (RFC 6891 section 6.2.3). */
  size: number;
  version: number;
  /** The DNSSEC OK bit, copied into the response (RFC 3225 section 3). */
  dnssecOk: boolean;
}

export interface Query {
  kind: "query";
  /** Lower-case name without the trailing dot ("" for the root). */
  qname: string;
  qtype: number;
  qclass: number;
  /** Offset just after the question: bytes 12..questionEnd are echoed in the response. */
  questionEnd: number;
  edns: Edns | undefined;
  /** A label held a dot or a non-printable byte: no Cove name can match it. */
  odd: boolean;
}

export type Parsed =
  | Query
  /** Header readable but the message is wrong: answer with this rcode (question echoed when questionEnd > 12). */
  | { kind: "error"; rcode: RcodeName; questionEnd: number; edns: Edns | undefined }
  /** No header, or a response (answering responses could make two servers ping-pong forever). */
  | { kind: "drop"; why: string };

function formerr(questionEnd = HEADER_LEN, edns?: Edns): Parsed {
  return { kind: "error", rcode: "FORMERR", questionEnd, edns };
}

export function parseQuery(buf: Buffer): Parsed {
  if (buf.length < HEADER_LEN) return { kind: "drop", why: "shorter than a header" };
  const b2 = buf[2]!;
  if (b2 & 0x80) return { kind: "drop", why: "a response, not a query" };
  if (((b2 >> 3) & 0x0f) !== OPCODE_QUERY) return { kind: "error", rcode: "NOTIMP", questionEnd: HEADER_LEN, edns: undefined };
  const qd = buf.readUInt16BE(4);
  const an = buf.readUInt16BE(6);
  const ns = buf.readUInt16BE(8);
  const ar = buf.readUInt16BE(10);
  if (qd !== 1) return formerr(); // RFC 9619: QUERY carries exactly one question

  // The question name: labels only. A compression pointer here could only point into the header,
  // so it is always malformed (and cannot loop).
  let off = HEADER_LEN;
  let qname = "";
  let odd = false;
  let wireLen = 1;
  for (;;) {
    if (off >= buf.length) return formerr();
    const len = buf[off]!;
    if (len === 0) { off++; break; }
    if (len > MAX_LABEL) return formerr(); // pointer (0xc0) or the obsolete extended label types
    wireLen += len + 1;
    if (wireLen > MAX_NAME || off + 1 + len > buf.length) return formerr();
    for (let i = off + 1; i <= off + len; i++) {
      const c = buf[i]!;
      if (c === 0x2e || c <= 0x20 || c >= 0x7f) { odd = true; break; }
    }
    const label = buf.toString("latin1", off + 1, off + 1 + len);
    qname = qname.length === 0 ? label : qname + "." + label;
    off += 1 + len;
  }
  if (off + 4 > buf.length) return formerr();
  const qtype = buf.readUInt16BE(off);
  const qclass = buf.readUInt16BE(off + 2);
  off += 4;
  const questionEnd = off;

  // Answer, authority and additional records: skipped (a query has no use for them) except OPT.
  let edns: Edns | undefined;
  const total = an + ns + ar;
  for (let r = 0; r < total; r++) {
    const start = off;
    const end = skipName(buf, off);
    if (end < 0 || end + 10 > buf.length) return formerr(questionEnd, edns);
    const type = buf.readUInt16BE(end);
    const rdlen = buf.readUInt16BE(end + 8);
    if (end + 10 + rdlen > buf.length) return formerr(questionEnd, edns);
    if (type === TYPE_OPT) {
      // RFC 6891 section 6.1.1: one OPT, in the additional section, owned by the root.
      if (r < an + ns || edns || end !== start + 1) return formerr(questionEnd, edns);
      edns = {
        size: buf.readUInt16BE(end + 2),
        version: buf[end + 5]!,
        dnssecOk: (buf[end + 6]! & 0x80) !== 0,
      };
    }
    off = end + 10 + rdlen;
  }
  if (off !== buf.length) return formerr(questionEnd, edns); // trailing bytes
  if (edns && edns.version > 0) return { kind: "error", rcode: "BADVERS", questionEnd, edns };
  return { kind: "query", qname: qname.toLowerCase(), qtype, qclass, questionEnd, edns, odd };
}

/** Offset after a (possibly compressed) name, or -1. Pointers are not followed, only checked to
 *  point backwards, so a pointer loop is malformed and never walked. */
function skipName(buf: Buffer, off: number): number {
  let wireLen = 1;
  for (;;) {
    if (off >= buf.length) return -1;
    const len = buf[off]!;
    if (len === 0) return off + 1;
    if ((len & 0xc0) === 0xc0) {
      if (off + 2 > buf.length) return -1;
      const target = ((len & 0x3f) << 8) | buf[off + 1]!;
      return target < off ? off + 2 : -1;
    }
    if (len > MAX_LABEL) return -1;
    wireLen += len + 1;
    if (wireLen > MAX_NAME) return -1;
    off += 1 + len;
  }
}

/** The UDP size a response may use: RFC 6891 section 6.2.5 treats values below 512 as 512. */
export function udpLimit(edns: Edns | undefined): number {
  if (!edns) return CLASSIC_UDP_SIZE;
  return Math.min(Math.max(edns.size, CLASSIC_UDP_SIZE), SERVER_UDP_SIZE);
}

const OPT_LEN = 11;

/** A cached, encoded answer: the sections after the question, and the header fields they need. */
export interface EncodedBody {
  rcode: RcodeName;
  aa: boolean;
  ra: boolean;
  ancount: number;
  nscount: number;
  arcount: number;
  body: Buffer;
}

/**
 * Header + the question as asked + the body (+ our OPT when the query had one). When the result
 * would not fit `limit` (UDP), the answer is replaced by an empty one with TC set, so the client
 * retries over TCP (RFC 1035 section 4.2.1, RFC 7766).
 */
export function writeResponse(query: Buffer, questionEnd: number, edns: Edns | undefined, enc: EncodedBody, limit: number): Buffer {
  const optLen = edns ? OPT_LEN : 0;
  const rc = RCODES[enc.rcode].code;
  let full = questionEnd + enc.body.length + optLen;
  const tc = full > limit;
  if (tc) full = questionEnd + optLen;
  const out = Buffer.allocUnsafe(full);
  query.copy(out, 0, 0, questionEnd);
  // QR=1, opcode copied, AA, TC, RD copied; RA, CD copied, rcode (low 4 bits; the rest is in OPT).
  out[2] = 0x80 | (query[2]! & 0x79) | (enc.aa ? 0x04 : 0) | (tc ? 0x02 : 0);
  out[3] = (enc.ra ? 0x80 : 0) | (query[3]! & 0x10) | (rc & 0x0f);
  out.writeUInt16BE(questionEnd > HEADER_LEN ? 1 : 0, 4);
  out.writeUInt16BE(tc ? 0 : enc.ancount, 6);
  out.writeUInt16BE(tc ? 0 : enc.nscount, 8);
  out.writeUInt16BE((tc ? 0 : enc.arcount) + (edns ? 1 : 0), 10);
  let off = questionEnd;
  if (!tc) off += enc.body.copy(out, off);
  if (edns) writeOpt(out, off, rc >> 4, edns.dnssecOk);
  return out;
}

function writeOpt(out: Buffer, off: number, extRcode: number, dnssecOk: boolean): void {
  out[off] = 0; // root owner
  out.writeUInt16BE(TYPE_OPT, off + 1);
  out.writeUInt16BE(SERVER_UDP_SIZE, off + 3);
  out[off + 5] = extRcode;
  out[off + 6] = 0; // EDNS version 0
  out[off + 7] = dnssecOk ? 0x80 : 0;
  out[off + 8] = 0;
  out.writeUInt16BE(0, off + 9); // no options
}

const EMPTY = Buffer.alloc(0);

/** A response without records (FORMERR, NOTIMP, REFUSED, SERVFAIL, BADVERS); `truncated` sets TC (rate limiting's slip). */
export function errorResponse(query: Buffer, questionEnd: number, edns: Edns | undefined, rcode: RcodeName, ra = false, truncated = false): Buffer {
  // A limit of 0 is below any message, so writeResponse sets TC and leaves the sections empty.
  return writeResponse(query, questionEnd, edns, { rcode, aa: false, ra, ancount: 0, nscount: 0, arcount: 0, body: EMPTY }, truncated ? 0 : 0xffff);
}

/** An upstream's answer for a UDP client that cannot take it whole: header and question, TC set. */
export function truncateRelayed(reply: Buffer, questionEnd: number, edns: Edns | undefined, limit: number): Buffer {
  if (reply.length <= limit) return reply;
  const rc = reply[3]! & 0x0f;
  const name = (Object.keys(RCODES) as RcodeName[]).find((k) => RCODES[k].code === rc) ?? "SERVFAIL";
  const out = writeResponse(reply, questionEnd, edns, { rcode: name, aa: false, ra: (reply[3]! & 0x80) !== 0, ancount: 0, nscount: 0, arcount: 0, body: EMPTY }, questionEnd + (edns ? OPT_LEN : 0));
  out[2] = out[2]! | 0x02;
  return out;
}
