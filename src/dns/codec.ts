// dns-packet, wrapped: encodes the answer and authority sections of a resolution once (the result
// is cached, so the library's allocation-heavy encoder is off the per-query path). The header and
// the question are written by wire.ts, which echoes the question exactly as the client asked it.

import dnsPacket from "dns-packet";
import type { Answer } from "dns-packet";
import type { RcodeName } from "./rcodes.js";
import { HEADER_LEN, type EncodedBody } from "./wire.js";

export function encodeBody(rcode: RcodeName, answers: Answer[], authorities: Answer[], opts: { aa: boolean; ra: boolean }): EncodedBody {
  const whole = dnsPacket.encode({ type: "response", id: 0, flags: 0, questions: [], answers, authorities });
  return {
    rcode,
    aa: opts.aa,
    ra: opts.ra,
    ancount: answers.length,
    nscount: authorities.length,
    arcount: 0,
    body: Buffer.from(whole.subarray(HEADER_LEN)),
  };
}
