// Parsers for flag values. Each throws commander's InvalidArgumentError, so a malformed value
// is reported as "option '--x <v>' argument 'abc' is invalid. <why>" and exits with the usage
// code before any request is sent.
import { isIP } from "node:net";
import { InvalidArgumentError } from "commander";

/** No single argument may be longer than this (a registry name is 50, a JMESPath query or an ARM id a few hundred). */
export const MAX_ARG_LENGTH = 4096;

export function parsePort(v: string): number {
  if (!/^\d{1,5}$/.test(v) || Number(v) < 1 || Number(v) > 65535) throw new InvalidArgumentError("Expected an integer from 1 to 65535.");
  return Number(v);
}

export function parseHostPort(v: string): string {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d{1,5})$/.exec(v);
  if (!m) throw new InvalidArgumentError("Expected HOST:PORT, e.g. 127.0.0.1:8443.");
  parsePort(m[2]);
  return v;
}

export function parseIp(v: string): string {
  if (isIP(v) === 0) throw new InvalidArgumentError("Expected an IPv4 or IPv6 address.");
  return v;
}

const DNS_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;

export function parseDnsSuffix(v: string): string {
  const labels = v.split(".");
  if (v.length > 253 || labels.length < 1 || !labels.every((l) => DNS_LABEL.test(l))) throw new InvalidArgumentError("Expected a DNS name such as cove.test.");
  return v.toLowerCase();
}

/** az's three-state flags: a bare `--admin-enabled` means true; otherwise true/false (any case). */
export function parseBool(v: string | boolean): boolean {
  if (typeof v === "boolean") return v;
  const s = v.toLowerCase();
  if (s === "true") return true;
  if (s === "false") return false;
  throw new InvalidArgumentError("Allowed values: true, false.");
}

/** Case-insensitive choice that returns the canonical spelling, as az's enum arguments do. */
export function choice(values: readonly string[]): (v: string) => string {
  return (v: string) => {
    const hit = values.find((c) => c.toLowerCase() === v.toLowerCase());
    if (!hit) throw new InvalidArgumentError(`Allowed values: ${values.join(", ")}.`);
    return hit;
  };
}

/** Registry names: 5-50 alphanumerics (Azure's rule, DESIGN.md section 3). */
export function parseRegistryName(v: string): string {
  if (!/^[a-zA-Z0-9]{5,50}$/.test(v)) throw new InvalidArgumentError("Registry names may contain only alpha numeric characters and must be between 5 and 50 characters.");
  return v;
}

/** Resource group names, as ARM: 1-90 of letters, digits, `_ - . ( )`, not ending in a period. */
export function parseGroupName(v: string): string {
  if (!/^[-\w.()]{1,90}$/u.test(v) || v.endsWith(".")) throw new InvalidArgumentError("Resource group names are 1-90 letters, digits, '_', '-', '.', '(' or ')', and may not end in '.'.");
  return v;
}

/** Locations as az normalises them: "East US" -> "eastus". */
export function parseLocation(v: string): string {
  const s = v.replace(/\s+/g, "").toLowerCase();
  if (!/^[a-z0-9]{1,64}$/.test(s)) throw new InvalidArgumentError("Expected a location name such as eastus.");
  return s;
}

export function parseHttpsUrl(v: string): string {
  let u: URL;
  try { u = new URL(v); } catch { throw new InvalidArgumentError("Expected an https:// URL."); }
  if (u.protocol !== "https:") throw new InvalidArgumentError("The management endpoint must use https (bearer tokens are never sent in clear).");
  return u.origin;
}

export function parseScope(v: string): string {
  if (!v.startsWith("/") || /\s/.test(v)) throw new InvalidArgumentError("Expected an ARM scope such as /subscriptions/<id>/resourceGroups/<group>.");
  return v.replace(/\/+$/, "");
}

export function parseNonEmpty(v: string): string {
  if (v.trim() === "") throw new InvalidArgumentError("Must not be empty.");
  return v;
}
