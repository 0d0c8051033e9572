// Flag parsers of the `network` and `acr network-rule` commands. Each throws commander's
// InvalidArgumentError, so a malformed CIDR, address or name exits 2 before anything is sent
// (flags.ts holds the parsers shared with the other groups).
import { isIP } from "node:net";
import { InvalidArgumentError } from "commander";

/** "a.b.c.d/n" or an IPv6 prefix; the address must be the network's own (no host bits), as Azure requires. */
export function parseCidr(v: string): string {
  const m = /^([^/\s]+)\/(\d{1,3})$/.exec(v);
  const family = m ? isIP(m[1]) : 0;
  const bits = m ? Number(m[2]) : NaN;
  if (!m || family === 0 || bits > (family === 4 ? 32 : 128)) throw new InvalidArgumentError("Expected an address prefix in CIDR notation, e.g. 10.0.0.0/16.");
  if (family === 4 && (ipv4ToInt(m[1]) & ~maskOf(bits)) >>> 0 !== 0) {
    throw new InvalidArgumentError(`${v} has host bits set; did you mean ${intToIpv4((ipv4ToInt(m[1]) & maskOf(bits)) >>> 0)}/${bits}?`);
  }
  return v;
}

export function parseIpv4(v: string): string {
  if (isIP(v) !== 4) throw new InvalidArgumentError("Expected an IPv4 address, e.g. 10.0.0.5.");
  return v;
}

/** `acr network-rule --ip-address`: an IPv4 address or IPv4 CIDR range (ACR allows IPv4 only). */
export function parseIpv4OrRange(v: string): string {
  const [addr, bits, extra] = v.split("/");
  if (extra !== undefined || isIP(addr) !== 4 || (bits !== undefined && !(/^\d{1,2}$/.test(bits) && Number(bits) <= 32))) {
    throw new InvalidArgumentError("Expected an IPv4 address or CIDR range, e.g. 203.0.113.7 or 203.0.113.0/24.");
  }
  return v;
}

/** Names of Microsoft.Network resources: 1-80 of letters, digits, '_', '.', '-', starting with a letter or digit, not ending in '.' or '-'. */
export function parseNetworkName(v: string): string {
  if (!/^[a-zA-Z0-9](?:[\w.-]{0,78}\w)?$/.test(v)) throw new InvalidArgumentError("Names are 1-80 letters, digits, '_', '.' or '-', start with a letter or digit and end with a letter, digit or '_'.");
  return v;
}

/** A relative record set name: "@", "*" or DNS labels such as "myregistry.eastus.data". */
export function parseRecordSetName(v: string): string {
  if (v === "@") return v;
  const labels = v.split(".");
  if (v.length > 253 || !labels.every((l, i) => (l === "*" && i === 0) || /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/i.test(l))) {
    throw new InvalidArgumentError("Expected a record set name relative to the zone, e.g. myregistry or myregistry.eastus.data.");
  }
  return v;
}

/** A full ARM resource id (the `--private-connection-resource-id` of an endpoint). */
export function parseResourceId(v: string): string {
  if (!/^\/subscriptions\/[^/\s]+\/resourceGroups\/[^/\s]+\/providers\/[^/\s]+\/[^/\s]+\/[^/\s]+(\/[^/\s]+\/[^/\s]+)*$/i.test(v)) {
    throw new InvalidArgumentError("Expected a resource id such as /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.ContainerRegistry/registries/<name>.");
  }
  return v;
}

export function maxLength(n: number): (v: string) => string {
  return (v: string) => {
    if (v.length > n) throw new InvalidArgumentError(`At most ${n} characters.`);
    return v;
  };
}

/** For `--flag <v...>` options: parses each value and keeps all of them, across repeats of the flag. */
export function many<T>(parse: (v: string) => T): (v: string, previous: unknown) => T[] {
  return (v: string, previous: unknown) => [...((previous as T[] | undefined) ?? []), parse(v)];
}

export interface IpConfigArg {
  name: string;
  groupId?: string;
  memberName?: string;
  privateIPAddress: string;
}

const IP_CONFIG_KEYS: Record<string, keyof IpConfigArg> = {
  "name": "name",
  "group-id": "groupId",
  "member-name": "memberName",
  "private-ip-address": "privateIPAddress",
};

/**
 * `--ip-config name=N group-id=G member-name=M private-ip-address=IP [--ip-config ...]`, az's
 * shorthand, or the same as JSON (`{"name":..,"groupId":..,"memberName":..,"privateIPAddress":..}`,
 * one object or an array). Commander hands over the words of every repeat as one list, so a
 * configuration ends where a key comes back.
 */
export function parseIpConfigs(words: readonly string[]): IpConfigArg[] {
  const out: IpConfigArg[] = [];
  let current: Partial<IpConfigArg> | undefined;
  const finish = () => {
    if (!current) return;
    if (!current.name || !current.privateIPAddress) throw new InvalidArgumentError("Each --ip-config needs name=<name> and private-ip-address=<IPv4>.");
    out.push(current as IpConfigArg);
    current = undefined;
  };
  for (const word of words) {
    if (/^\s*[[{]/.test(word)) {
      finish();
      let parsed: unknown;
      try { parsed = JSON.parse(word); } catch { throw new InvalidArgumentError(`invalid JSON: ${word.slice(0, 60)}`); }
      for (const item of Array.isArray(parsed) ? parsed : [parsed]) {
        if (!item || typeof item !== "object") throw new InvalidArgumentError("expected JSON objects.");
        const o = item as Record<string, unknown>;
        current = {};
        for (const [k, v] of Object.entries(o)) {
          const key = (Object.values(IP_CONFIG_KEYS) as string[]).find((x) => x.toLowerCase() === k.toLowerCase()) as keyof IpConfigArg | undefined;
          if (!key || typeof v !== "string") throw new InvalidArgumentError(`unknown or non-string property '${k}' (allowed: name, groupId, memberName, privateIPAddress).`);
          current[key] = v;
        }
        check(current);
        finish();
      }
      continue;
    }
    const eq = word.indexOf("=");
    const key = eq > 0 ? IP_CONFIG_KEYS[word.slice(0, eq).toLowerCase()] : undefined;
    if (!key) throw new InvalidArgumentError(`expected KEY=VALUE with KEY one of ${Object.keys(IP_CONFIG_KEYS).join(", ")}; got '${word.slice(0, 60)}'.`);
    if (current && current[key] !== undefined) finish();
    current ??= {};
    current[key] = word.slice(eq + 1);
    check(current);
  }
  finish();
  return out;
}

function check(c: Partial<IpConfigArg>): void {
  if (c.privateIPAddress !== undefined) parseIpv4(c.privateIPAddress);
  if (c.name !== undefined) parseNetworkName(c.name);
}

function ipv4ToInt(a: string): number {
  return a.split(".").reduce((n, o) => (n * 256 + Number(o)) >>> 0, 0);
}

function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");
}

function maskOf(bits: number): number {
  return bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
}
