// Client addresses on the hot path of every request: the socket gives a string ("127.17.1.10", or
// "::ffff:127.17.1.10" on a dual-stack listener, or a real IPv6 address). The decision needs the
// IPv4 form as a number, once per request, so this parser avoids split/map/regex allocations
// (domain/network.ts parseIPv4 is the readable one for the management API).

const MAPPED_PREFIX = "::ffff:";

/** "::ffff:a.b.c.d" -> "a.b.c.d"; anything else unchanged. */
export function unwrapMapped(ip: string): string {
  if (ip.length > MAPPED_PREFIX.length && ip.charCodeAt(0) === 58 /* : */ && ip.slice(0, MAPPED_PREFIX.length).toLowerCase() === MAPPED_PREFIX) {
    const rest = ip.slice(MAPPED_PREFIX.length);
    if (rest.indexOf(":") < 0) return rest;
  }
  return ip;
}

/**
 * A dotted-quad IPv4 address as an unsigned 32-bit number, or -1 when the text is not one (IPv6,
 * empty, leading zeros, out of range). IPv4-mapped IPv6 addresses are unwrapped first.
 */
export function ipv4ToNumber(text: string): number {
  const s = unwrapMapped(text);
  const n = s.length;
  if (n < 7 || n > 15) return -1;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      // "01" is not a canonical octet (node:net isIPv4 refuses it too).
      if (digits > 0 && octet === 0) return -1;
      octet = octet * 10 + (c - 48);
      if (octet > 255) return -1;
      digits++;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + octet;
}
