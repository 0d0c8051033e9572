// The lab's hosts file (docs/lab.md): YAML or JSON, a list of {name, subnet, address?}. `subnet` is
// a subnet resource id, `VNET/SUBNET`, or `internet` (outside every VNet). The shape is checked
// here, by the CLI before anything is sent and by the server again; whether the subnets and
// addresses exist is the server's question (plan.ts), since only it holds the current model.
import { isIPv4 } from "node:net";
import { yaml } from "../config/yaml.js";
import { LabError } from "./errors.js";
import { HOST_NAME, INTERNET, RESERVED_HOST_NAMES } from "./names.js";

export interface HostSpec {
  name: string;
  subnet: string;
  address?: string;
}

export const MAX_HOSTS = 64;
export const MAX_HOSTS_FILE_BYTES = 64 * 1024;

const bad = (message: string) => new LabError("InvalidHostsFile", message);

/** Checks a decoded hosts document: a list, or {hosts: list}. The `internet` host is the lab's own. */
export function checkHostSpecs(doc: unknown): HostSpec[] {
  const list = Array.isArray(doc) ? doc : doc && typeof doc === "object" && Array.isArray((doc as { hosts?: unknown }).hosts) ? (doc as { hosts: unknown[] }).hosts : undefined;
  if (!list) throw bad("The hosts file must be a list of {name, subnet, address?} (or {hosts: [...]}).");
  if (list.length > MAX_HOSTS) throw bad(`The hosts file declares ${list.length} hosts; the lab takes at most ${MAX_HOSTS}.`);
  const seen = new Set<string>();
  return list.map((raw, i) => {
    const where = `host ${i + 1}`;
    if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw bad(`${where}: must be a mapping {name, subnet, address?}.`);
    const h = raw as Record<string, unknown>;
    for (const k of Object.keys(h)) if (!["name", "subnet", "address"].includes(k)) throw bad(`${where}: unknown key '${k}' (a host has name, subnet and address).`);
    if (typeof h.name !== "string" || !HOST_NAME.test(h.name)) {
      throw bad(`${where}: name ${JSON.stringify(h.name)} must be 1-11 characters: a lower-case letter, then letters, digits or '-'.`);
    }
    if (RESERVED_HOST_NAMES.has(h.name) || h.name === INTERNET) throw bad(`${where}: the name '${h.name}' is the lab's own; choose another.`);
    if (seen.has(h.name)) throw new LabError("DuplicateHost", `Two hosts are named '${h.name}'.`);
    seen.add(h.name);
    if (typeof h.subnet !== "string" || !h.subnet.trim() || h.subnet.length > 1024) {
      throw bad(`${where} (${h.name}): subnet must be a subnet id, VNET/SUBNET or '${INTERNET}'.`);
    }
    if (h.address !== undefined && (typeof h.address !== "string" || !isIPv4(h.address))) {
      throw bad(`${where} (${h.name}): address must be an IPv4 address, got ${JSON.stringify(h.address)}.`);
    }
    return { name: h.name, subnet: h.subnet.trim(), ...(h.address ? { address: h.address as string } : {}) };
  });
}

/** Parses the file's text (YAML is a superset of JSON). */
export function parseHostsFile(text: string): HostSpec[] {
  if (Buffer.byteLength(text) > MAX_HOSTS_FILE_BYTES) throw bad(`The hosts file is larger than ${MAX_HOSTS_FILE_BYTES} bytes.`);
  let doc: unknown;
  try {
    doc = yaml().parse(text, { maxAliasCount: 20 });
  } catch (e) {
    throw bad(`The hosts file is not valid YAML or JSON: ${(e as Error).message.split("\n")[0]}`);
  }
  return checkHostSpecs(doc ?? []);
}
