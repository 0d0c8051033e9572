// The DNS error catalogue (HOUSE-STYLE habit 2): every response code Cove's DNS server sends, with
// its RFC number and when it is sent. docs/errors.md's "DNS" table is checked against this list by
// test/dns/errors-doc.test.ts. No other file writes an rcode number.

export interface RcodeEntry {
  /** The name as RFC 1035 / RFC 6895 spell it. */
  name: string;
  /** The 4-bit header RCODE (the extended BADVERS uses the OPT record's upper bits, RFC 6891). */
  code: number;
  /** When Cove answers with it. */
  when: string;
}

export const RCODES = {
  NOERROR: { name: "NOERROR", code: 0, when: "The name exists in the client's view (answer, or an empty answer with the zone's SOA when the type has no records), or an upstream answered." },
  FORMERR: { name: "FORMERR", code: 1, when: "The query could not be parsed: QDCOUNT not 1, a bad name (pointer loop, label over 63 octets, name over 255 octets), truncated records, trailing bytes, more than one OPT record." },
  SERVFAIL: { name: "SERVFAIL", code: 2, when: "A forwarded query got no answer from the upstream resolver in time, or too many forwarded queries are pending." },
  NXDOMAIN: { name: "NXDOMAIN", code: 3, when: "The name does not exist in the zone that answers for the client (a linked private zone without the record, or an unknown name under the suffix); the zone's SOA is in the authority section." },
  NOTIMP: { name: "NOTIMP", code: 4, when: "The opcode is not QUERY (NOTIFY, UPDATE, IQUERY, STATUS, ...)." },
  REFUSED: { name: "REFUSED", code: 5, when: "The name is outside Cove's zones and no upstream resolver is configured, the class is not IN, or a zone transfer (AXFR, IXFR) was asked for." },
  BADVERS: { name: "BADVERS", code: 16, when: "The query's EDNS version is above 0 (RFC 6891 section 6.1.3)." },
} as const satisfies Record<string, RcodeEntry>;

export type RcodeName = keyof typeof RCODES;

const BY_CODE = new Map<number, RcodeName>(Object.values(RCODES).map((e) => [e.code, e.name as RcodeName]));

/** The catalogue name of a header rcode (upstream answers may carry codes Cove never sends). */
export function rcodeName(code: number): string {
  return BY_CODE.get(code) ?? `RCODE${code}`;
}
