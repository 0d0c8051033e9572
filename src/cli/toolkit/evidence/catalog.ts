// The registry's repositories, for the hygiene finding "repositories not pulled in the window":
// GET /acr/v1/_catalog on the data plane (ACR's listing; `registry:catalog:*` is granted to whoever
// may pull), with the CLI's own service principal as Basic credentials, which ACR and Cove accept
// on every data-plane request. The login server is resolved and reached from this machine, so a
// registry whose public endpoint refuses this machine gives "unknown" and says why: the finding
// is never guessed. Bounded: a timeout per request, at most MAX_BYTES per answer, MAX_PAGES pages.
import { lookup } from "node:dns/promises";
import { readFile } from "node:fs/promises";
import { request } from "node:https";
import type { RegistryInfo } from "../../../network-policy/reachability/model.js";
import type { Session } from "../../session.js";
import { resolveA } from "../live/dns.js";

export type RepositoryList =
  | { status: "known"; repositories: string[] }
  | { status: "unknown"; reason: string };

export interface CatalogOptions {
  /** The login server's host name (no port) and port. */
  host: string;
  port: number;
  /** The address to connect to (resolved by the caller through the DNS this machine uses). */
  address: string;
  ca?: string | Buffer;
  username: string;
  password: string;
  timeoutMs?: number;
}

const MAX_BYTES = 4 * 1024 * 1024;
const MAX_PAGES = 100;

function get(o: CatalogOptions, path: string): Promise<{ status: number; link?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: o.address, port: o.port, path, method: "GET", servername: o.host, ca: o.ca, agent: false,
      timeout: o.timeoutMs ?? 5000,
      headers: { host: o.port === 443 ? o.host : `${o.host}:${o.port}`, accept: "application/json", authorization: "Basic " + Buffer.from(`${o.username}:${o.password}`).toString("base64") },
    }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        size += c.length;
        if (size > MAX_BYTES) req.destroy(new Error(`the answer exceeds ${MAX_BYTES} bytes`));
        else chunks.push(c);
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, link: res.headers.link as string | undefined, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end();
  });
}

function errorText(status: number, body: string): string {
  try {
    const e = JSON.parse(body)?.errors?.[0];
    if (e?.code) return `${status} ${e.code}: ${e.message ?? ""}`.trim();
  } catch { /* not an OCI error body */ }
  return `HTTP ${status}`;
}

export async function listRepositories(o: CatalogOptions): Promise<RepositoryList> {
  const repositories: string[] = [];
  let path: string | undefined = "/acr/v1/_catalog?n=1000";
  try {
    for (let i = 0; path && i < MAX_PAGES; i++) {
      const r = await get(o, path);
      if (r.status !== 200) return { status: "unknown", reason: `GET https://${o.host}:${o.port}/acr/v1/_catalog from this machine answered ${errorText(r.status, r.body)}` };
      const names = (JSON.parse(r.body) as { repositories?: unknown }).repositories;
      if (Array.isArray(names)) repositories.push(...names.map(String));
      const next = /<([^>]+)>;\s*rel="?next"?/.exec(r.link ?? "")?.[1];
      path = next && next.startsWith("/") ? next : undefined;
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { status: "unknown", reason: `the catalog of ${o.host} could not be read from this machine (${err.code ?? err.message})` };
  }
  return { status: "known", repositories: [...new Set(repositories)].sort() };
}

/** Where this machine reaches the login server: Cove's DNS when the profile names it (as the live checks ask it), else the system's resolver. */
async function addressOf(s: Session, host: string): Promise<{ address?: string; why?: string }> {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d{1,5})$/.exec(s.profile.dnsServer ?? "");
  if (m) {
    const r = await resolveA({ host: m[1]!.replace(/^\[|\]$/g, ""), port: Number(m[2]) }, host, undefined, 3000);
    return r.seen.kind === "address" ? { address: r.seen.ips[0] } : { why: r.seen.kind === "failed" ? r.seen.message : r.seen.kind.toUpperCase() };
  }
  try {
    return { address: (await lookup(host, { family: 4 })).address };
  } catch (e) {
    return { why: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
  }
}

/** The registry's repositories as this machine can read them with the CLI's own service principal. */
export async function repositoriesOf(s: Session, reg: RegistryInfo): Promise<RepositoryList> {
  const { address, why } = await addressOf(s, reg.host);
  if (!address) return { status: "unknown", reason: `the login server ${reg.host} does not resolve from this machine (${why})` };
  const ca = s.profile.caCertPath ? await readFile(s.profile.caCertPath).catch(() => undefined) : undefined;
  return listRepositories({ host: reg.host, port: reg.port, address, ca, username: s.profile.clientId, password: s.profile.clientSecret });
}
