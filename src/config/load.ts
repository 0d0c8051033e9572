// Loads, merges and validates configuration. Every problem is reported with the key (and its
// source) named, all at once, so `cove config verify` can list them together.
import { readFile } from "node:fs/promises";
import { isIP, isIPv4 } from "node:net";
import { yaml } from "./yaml.js";
import { FIELDS, envName, type CoveConfig, type Field } from "./schema.js";

export class ConfigError extends Error {
  constructor(readonly errors: string[]) {
    super("invalid configuration:\n  " + errors.join("\n  "));
    this.name = "ConfigError";
  }
}

const MAX_CONFIG_BYTES = 256 * 1024;
const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

function parseHostPort(v: string, anyPort = false): { host: string; port: number } | undefined {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/.exec(v);
  if (!m) return undefined;
  const host = m[1].replace(/^\[|\]$/g, "");
  const port = Number(m[2]);
  if (!isIP(host) && host !== "localhost") return undefined;
  if (port < (anyPort ? 0 : 1) || port > 65535) return undefined;
  return { host, port };
}

function convert(f: Field, raw: unknown, source: string, errors: string[]): unknown {
  const fail = (why: string) => { errors.push(`${f.key} (${source}): ${why}`); return undefined; };
  const str = typeof raw === "string" ? raw.trim() : raw;
  switch (f.kind) {
    case "path":
    case "string":
      if (typeof str !== "string" || str === "") return fail("must be a non-empty string");
      if (str.length > 4096 || str.includes("\0")) return fail("is not a usable path");
      return str;
    case "port":
    case "number": {
      const n = typeof str === "number" ? str : typeof str === "string" && /^\d+$/.test(str) ? Number(str) : NaN;
      if (!Number.isInteger(n)) return fail(`must be a whole number, got ${JSON.stringify(raw)}`);
      if (f.kind === "port" && (n < 1 || n > 65535)) return fail(`must be a port between 1 and 65535, got ${n}`);
      if (f.kind === "number" && (n < 0 || n > 1e9)) return fail(`must be between 0 and 1000000000, got ${n}`);
      if (f.kind === "number" && (n < (f.min ?? 0) || n > (f.max ?? 1e9))) return fail(`must be between ${f.min ?? 0} and ${f.max ?? 1e9}, got ${n}`);
      return n;
    }
    case "hostPort": {
      if (typeof str !== "string") return fail("must be a string HOST:PORT");
      return parseHostPort(str, f.anyPort) ?? fail(`must be IP:PORT (for example 127.0.0.1:8443), got ${JSON.stringify(str)}`);
    }
    case "ip":
      if (typeof str !== "string" || !isIP(str)) return fail(`must be an IP address, got ${JSON.stringify(raw)}`);
      return str;
    case "suffix":
      if (typeof str !== "string" || !/^(?=.{1,200}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(str))
        return fail(`must be a lower-case DNS name such as cove.test, got ${JSON.stringify(raw)}`);
      return str;
    case "ipList": {
      const list = typeof str === "string" ? str.split(",").map((s) => s.trim()).filter(Boolean) : str;
      if (!Array.isArray(list) || list.some((x) => typeof x !== "string" || !isIP(x))) return fail("must be a list of IP addresses");
      return list;
    }
    case "enum":
      if (typeof str !== "string" || !f.values?.includes(str)) return fail(`must be one of ${(f.values ?? []).join(", ")}, got ${JSON.stringify(raw)}`);
      return str;
    case "logLevel":
      if (typeof str !== "string" || !LOG_LEVELS.includes(str)) return fail(`must be one of ${LOG_LEVELS.join(", ")}`);
      return str;
  }
}

/** Reads a YAML (or JSON) config file into a plain object; errors name the file. */
export async function readConfigFile(path: string): Promise<{ values: Record<string, unknown>; errors: string[] }> {
  let text: string;
  try {
    const buf = await readFile(path);
    if (buf.length > MAX_CONFIG_BYTES) return { values: {}, errors: [`${path}: larger than ${MAX_CONFIG_BYTES} bytes`] };
    text = buf.toString("utf8");
  } catch (e) {
    return { values: {}, errors: [`${path}: cannot be read (${(e as NodeJS.ErrnoException).code ?? "error"})`] };
  }
  let doc: unknown;
  try {
    doc = yaml().parse(text, { maxAliasCount: 50 });
  } catch (e) {
    return { values: {}, errors: [`${path}: not valid YAML/JSON: ${(e as Error).message.split("\n")[0]}`] };
  }
  if (doc === null || doc === undefined) return { values: {}, errors: [] };
  if (typeof doc !== "object" || Array.isArray(doc)) return { values: {}, errors: [`${path}: must be a mapping of keys to values`] };
  const known = new Set(FIELDS.map((f) => f.key as string));
  const errors = Object.keys(doc).filter((k) => !known.has(k)).map((k) => `${path}: unknown key "${k}"`);
  return { values: doc as Record<string, unknown>, errors };
}

export interface ConfigSources {
  flags?: Record<string, string | undefined>;
  env?: NodeJS.ProcessEnv;
  file?: string;
}

/**
 * Lab mode (docs/lab.md): every lab host reaches one address, so the listeners nobody configured move
 * there, and the registry to port 443 as Azure's login servers; a configured value still wins.
 */
function labDefaults(out: Record<string, unknown>, fromDefault: ReadonlySet<string>, errors: string[]): void {
  const lab = out.labAddress as string | undefined;
  if (!lab) return;
  if (!isIPv4(lab)) { errors.push(`labAddress: must be an IPv4 address in lab mode, got ${JSON.stringify(lab)}`); return; }
  if (fromDefault.has("managementListen")) out.managementListen = { host: lab, port: 8443 };
  if (fromDefault.has("registryPort")) out.registryPort = 443;
  if (fromDefault.has("publicAddress")) out.publicAddress = lab;
  if (fromDefault.has("dnsListen")) out.dnsListen = { host: lab, port: 53 };
}

/** Merges flag > env > file > default and validates everything. Throws ConfigError listing every problem. */
export async function loadConfig(src: ConfigSources): Promise<CoveConfig> {
  const flags = src.flags ?? {};
  const env = src.env ?? {};
  const errors: string[] = [];
  const known = new Set(FIELDS.map((f) => f.key as string));
  for (const k of Object.keys(flags)) if (flags[k] !== undefined && k !== "config" && !known.has(k)) errors.push(`unknown option "${k}"`);
  const filePath = flags.config ?? env.COVE_CONFIG ?? src.file;
  let fileValues: Record<string, unknown> = {};
  if (filePath) {
    const r = await readConfigFile(filePath);
    fileValues = r.values;
    errors.push(...r.errors);
  }
  const out: Record<string, unknown> = {};
  const fromDefault = new Set<string>();
  for (const f of FIELDS) {
    let raw: unknown;
    let source = "default";
    if (flags[f.key] !== undefined) { raw = flags[f.key]; source = "flag"; }
    else if (env[envName(f.key)] !== undefined) { raw = env[envName(f.key)]; source = envName(f.key); }
    else if (f.key in fileValues) { raw = fileValues[f.key]; source = filePath ?? "file"; }
    else { raw = f.default; fromDefault.add(f.key); }
    if (raw === undefined) continue;
    const v = convert(f, raw, source, errors);
    if (v !== undefined) out[f.key] = v;
  }
  if (out.networkMode === "lab") labDefaults(out, fromDefault, errors);
  if ((out.tlsCertFile === undefined) !== (out.tlsKeyFile === undefined)) errors.push("tlsCertFile and tlsKeyFile must be given together");
  // The value is not echoed: a PostgreSQL URL may carry a password.
  if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(String(out.blobContainer ?? "cove"))) errors.push("blobContainer: must be 3-63 of a-z, 0-9 and single hyphens, starting and ending with a letter or digit");
  if (out.metadataUrl !== undefined && !/^postgres(ql)?:\/\/[^/\s]/i.test(out.metadataUrl as string)) errors.push("metadataUrl: must be a postgres:// or postgresql:// URL");
  if (out.blobContainerUrl !== undefined) {
    if (out.blobConnectionString !== undefined) errors.push("blobContainerUrl and blobConnectionString are two ways to name the store: give one");
    if (!containerUrlOk(out.blobContainerUrl as string)) errors.push("blobContainerUrl: must be https://<account host>/[<account>/]<container> with no query (a SAS is not a credential Cove keeps)");
  }
  if (out.managementUrl !== undefined) {
    const u = managementOrigin(out.managementUrl as string);
    if (u) out.managementUrl = u;
    else errors.push("managementUrl: must be https://host[:port] with no path, query or credentials");
  }
  if (errors.length) throw new ConfigError(errors);
  return out as unknown as CoveConfig;
}

/** An https URL whose last path segment is a container name, with no query, fragment or user info. */
function containerUrlOk(raw: string): boolean {
  let u: URL;
  try { u = new URL(raw); } catch { return false; }
  const last = u.pathname.split("/").filter(Boolean).at(-1) ?? "";
  return u.protocol === "https:" && !u.username && !u.password && !u.search && !u.hash && /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(last);
}

/** `https://host[:port]` as WHATWG URL spells it (no default port, no trailing slash), or undefined. */
function managementOrigin(raw: string): string | undefined {
  let u: URL;
  try { u = new URL(raw); } catch { return undefined; }
  if (u.protocol !== "https:" || u.username || u.password || u.search || u.hash || (u.pathname !== "/" && u.pathname !== "")) return undefined;
  return u.origin;
}

export async function verifyConfigFile(path: string): Promise<{ ok: true } | { ok: false; errors: string[] }> {
  try {
    await loadConfig({ file: path, env: {} });
    return { ok: true };
  } catch (e) {
    if (e instanceof ConfigError) return { ok: false, errors: e.errors };
    throw e;
  }
}
