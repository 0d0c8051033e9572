// The soak's data-plane operations, as a registry client does them, through the private endpoint
// from a spoke address over keep-alive connections (test/support/http.ts with an Agent):
//   push      a token for push,pull; two blobs (config and a 16 KiB layer of seeded bytes, different
//             every push) by POST + PUT; the manifest PUT by tag; the digest Cove names is checked
//   pull      a token for pull; a recently pushed tag's manifest (its digest checked against the
//             bytes), then its blobs, following a 307 to the data endpoint when Cove sends one; every
//             blob's bytes hashed and compared with the digest the manifest names
//   manifest  GET of one fixed manifest by tag with a bearer token (renewed every minute)
//   denial    GET /v2/ on the public listener from an address in no VNet: 403 DENIED is the
//             expected answer (publicNetworkAccess Disabled); anything else is an error
// Repositories and tags are a fixed set (8 x 10), overwritten as the run goes, so the registry's
// metadata stays bounded; the blobs (16 KiB each) accumulate on disk.
import { createHash } from "node:crypto";
import { Agent } from "node:https";
import { https, type HttpResult } from "../../test/support/http.js";
import { Rng } from "../../test/fuzz/support.js";
import { expect, type Outcome } from "./soak-workload.js";
import { ADDRESSES, type SoakLanding } from "./soak-landing.js";

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const LAYER_BYTES = 16 * 1024;
const REPOS = 8;
const TAGS = 10;

interface Pushed { repo: string; tag: string }

export interface RegistryOps {
  push(i: number): Promise<Outcome>;
  pull(i: number): Promise<Outcome>;
  manifest(i: number): Promise<Outcome>;
  denial(i: number): Promise<Outcome>;
  /** Pushes the fixed image the manifest loop reads (before the run). */
  seed(): Promise<void>;
  close(): void;
}

const sha256 = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

export function registryOps(z: SoakLanding, seed: number): RegistryOps {
  const spoke = new Agent({ keepAlive: true, maxSockets: 16, localAddress: ADDRESSES.registryClient } as never);
  const outside = new Agent({ keepAlive: true, maxSockets: 4, localAddress: ADDRESSES.denied } as never);
  const hostHeader = `${z.loginHost}:${z.registryPort}`;
  const ipOf: Record<string, string> = { [z.loginHost]: z.loginIp, [z.dataHost]: z.dataIp };
  const rng = new Rng(seed);
  const pushed: Pushed[] = [];

  /** A request to `host` (a registry or data host name) at its endpoint address, from the spoke. */
  const call = (host: string, path: string, o: { method?: string; headers?: Record<string, string>; body?: Buffer } = {}): Promise<HttpResult> => {
    const ip = ipOf[host];
    if (!ip) throw new Error(`no endpoint address for ${host}`);
    return https(`https://${ip}:${z.registryPort}${path}`, { ...o, ca: z.ca, host: `${host}:${z.registryPort}`, agent: spoke, localAddress: ADDRESSES.registryClient });
  };

  const token = async (scope: string): Promise<string> => {
    const r = await call(z.loginHost, `/oauth2/token?service=${encodeURIComponent(hostHeader)}&scope=${encodeURIComponent(scope)}`, { headers: { authorization: z.basic } });
    expect("token", r.status, 200, r.body);
    return r.json().access_token as string;
  };

  let manifestToken: { value: Promise<string>; at: number } | undefined;
  const readToken = () => {
    if (!manifestToken || Date.now() - manifestToken.at > 60_000) manifestToken = { value: token("repository:soak/base:pull"), at: Date.now() };
    return manifestToken.value;
  };

  const upload = async (repo: string, auth: string, blob: Buffer) => {
    const digest = sha256(blob);
    const started = await call(z.loginHost, `/v2/${repo}/blobs/uploads/`, { method: "POST", headers: { authorization: auth }, body: Buffer.alloc(0) });
    expect("upload POST", started.status, 202, started.body);
    const loc = new URL(String(started.headers.location), `https://${hostHeader}`);
    loc.searchParams.set("digest", digest);
    const put = await call(z.loginHost, loc.pathname + loc.search, { method: "PUT", headers: { authorization: auth, "content-type": "application/octet-stream" }, body: blob });
    expect("upload PUT", put.status, 201, put.body);
    return { digest, size: blob.length };
  };

  const pushImage = async (repo: string, tag: string, n: number) => {
    const auth = `Bearer ${await token(`repository:${repo}:pull,push`)}`;
    const layer = rng.bytes(LAYER_BYTES);
    const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", config: { Labels: { "soak.push": String(n) } }, rootfs: { type: "layers", diff_ids: [sha256(layer)] } }));
    const c = await upload(repo, auth, config);
    const l = await upload(repo, auth, layer);
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: OCI_MANIFEST,
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: c.digest, size: c.size },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: l.digest, size: l.size }],
    }));
    const r = await call(z.loginHost, `/v2/${repo}/manifests/${tag}`, { method: "PUT", headers: { authorization: auth, "content-type": OCI_MANIFEST }, body: manifest });
    expect("manifest PUT", r.status, 201, r.body);
    if (r.headers["docker-content-digest"] !== sha256(manifest)) throw new Error(`manifest PUT: Docker-Content-Digest ${r.headers["docker-content-digest"]}, expected the bytes' digest`);
  };

  /** GET of a blob; a 307 to the data endpoint is followed (at its endpoint address). */
  const blob = async (repo: string, auth: string, digest: string) => {
    let r = await call(z.loginHost, `/v2/${repo}/blobs/${digest}`, { headers: { authorization: auth } });
    if (r.status === 307) {
      const to = new URL(String(r.headers.location));
      r = await call(to.hostname, to.pathname + to.search);
    }
    expect("blob GET", r.status, 200, r.body);
    if (sha256(r.body) !== digest) throw new Error("blob GET: the bytes do not match their digest");
  };

  return {
    async seed() {
      await pushImage("soak/base", "latest", -1);
      pushed.push({ repo: "soak/base", tag: "latest" });
    },
    async push(i) {
      const p = { repo: `soak/app-${i % REPOS}`, tag: `v${Math.floor(i / REPOS) % TAGS}` };
      await pushImage(p.repo, p.tag, i);
      if (!pushed.some((x) => x.repo === p.repo && x.tag === p.tag)) pushed.push(p);
      return "ok";
    },
    async pull() {
      const p = rng.pick(pushed);
      const auth = `Bearer ${await token(`repository:${p.repo}:pull`)}`;
      const m = await call(z.loginHost, `/v2/${p.repo}/manifests/${p.tag}`, { headers: { authorization: auth, accept: OCI_MANIFEST } });
      expect("manifest GET", m.status, 200, m.body);
      if (m.headers["docker-content-digest"] !== sha256(m.body)) throw new Error("manifest GET: Docker-Content-Digest is not the bytes' digest");
      const doc = m.json<{ config: { digest: string }; layers: { digest: string }[] }>();
      for (const d of [doc.config.digest, ...doc.layers.map((l) => l.digest)]) await blob(p.repo, auth, d);
      return "ok";
    },
    async manifest() {
      const r = await call(z.loginHost, "/v2/soak/base/manifests/latest", { headers: { authorization: `Bearer ${await readToken()}`, accept: OCI_MANIFEST } });
      expect("manifest GET", r.status, 200, r.body);
      if (r.headers["docker-content-digest"] !== sha256(r.body)) throw new Error("manifest GET: Docker-Content-Digest is not the bytes' digest");
      return "ok";
    },
    async denial() {
      const r = await https(`https://127.0.0.1:${z.registryPort}/v2/`, { ca: z.ca, host: hostHeader, agent: outside, localAddress: ADDRESSES.denied });
      expect("public GET /v2/", r.status, 403, r.body);
      const code = (() => { try { return r.json().errors?.[0]?.code; } catch { return undefined; } })();
      if (code !== "DENIED") throw new Error(`public GET /v2/: 403 with code ${code}, expected DENIED`);
      return "denied";
    },
    close() {
      spoke.destroy();
      outside.destroy();
    },
  };
}
