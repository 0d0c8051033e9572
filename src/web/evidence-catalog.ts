// The registry's repositories for the page's evidence export (the hygiene finding "repositories
// not pulled in the window"), read as the caller: the CLI lists them with its service principal's
// id and secret (toolkit/evidence/catalog.ts); the page holds no secret, only the caller's access
// token, so it trades that for an ACR refresh token at /oauth2/exchange (as `az acr login` does)
// and lists with the null GUID and that refresh token. The login server is resolved through Cove's
// own DNS, never the machine's resolver; without Cove's DNS address the finding says "unknown".
import { request } from "node:https";
import type { RegistryInfo } from "../network-policy/reachability/model.js";
import { listRepositories, type RepositoryList } from "../cli/toolkit/evidence/catalog.js";
import { resolveA } from "../cli/toolkit/live/dns.js";

/** The null GUID: its password is an ACR refresh token (ACR's convention, data-plane/registry-auth/credentials.ts). */
const NULL_GUID = "00000000-0000-0000-0000-000000000000";
const MAX_ANSWER = 64 * 1024;

export interface CallerCatalog { accessToken: string; tenantId: string; dnsServer?: string; ca?: Buffer }

function exchange(address: string, reg: RegistryInfo, o: CallerCatalog): Promise<string> {
  const form = new URLSearchParams({ grant_type: "access_token", service: reg.loginServer, tenant: o.tenantId, access_token: o.accessToken }).toString();
  return new Promise((resolve, reject) => {
    const req = request({
      host: address, port: reg.port, path: "/oauth2/exchange", method: "POST", servername: reg.host, ca: o.ca, agent: false, timeout: 5000,
      headers: { host: reg.loginServer, "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(form), accept: "application/json" },
    }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => { text += c; if (text.length > MAX_ANSWER) req.destroy(new Error("the answer is too large")); });
      res.on("end", () => {
        let token: unknown;
        try { token = JSON.parse(text)?.refresh_token; } catch { /* reported below */ }
        if (res.statusCode === 200 && typeof token === "string") resolve(token);
        else reject(new Error(`POST /oauth2/exchange answered ${res.statusCode}`));
      });
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end(form);
  });
}

export async function repositoriesAsCaller(reg: RegistryInfo, o: CallerCatalog): Promise<RepositoryList> {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d{1,5})$/.exec(o.dnsServer ?? "");
  if (!m) return { status: "unknown", reason: `the server was not given its DNS address, so it did not resolve the login server ${reg.host}` };
  const r = await resolveA({ host: m[1]!.replace(/^\[|\]$/g, ""), port: Number(m[2]) }, reg.host, undefined, 3000);
  if (r.seen.kind !== "address") return { status: "unknown", reason: `the login server ${reg.host} does not resolve from the server (${r.seen.kind === "failed" ? r.seen.message : r.seen.kind.toUpperCase()})` };
  const address = r.seen.ips[0]!;
  let refresh: string;
  try {
    refresh = await exchange(address, reg, o);
  } catch (e) {
    return { status: "unknown", reason: `the caller's token could not be exchanged for a registry token at ${reg.host} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` };
  }
  return listRepositories({ host: reg.host, port: reg.port, address, ca: o.ca, username: NULL_GUID, password: refresh });
}
