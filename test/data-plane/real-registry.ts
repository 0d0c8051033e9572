// A real Cove (TLS listeners on loopback) with one Premium registry and an Owner service
// principal, and raw HTTPS calls to its /v2 API with Basic credentials, as curl would send them.
// The path goes to the server byte for byte (node's https does not normalise it), so tests can
// send `//` and trailing slashes.
import { createHash } from "node:crypto";
import { startCove, type TestCove } from "../support/cove.js";
import { assignRole, createRegistry, createServicePrincipal, ROLE } from "../support/arm.js";
import { basic, https, type HttpResult } from "../support/http.js";

export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";

export interface RealRegistry {
  cove: TestCove;
  loginServer: string;
  /** The Owner service principal's Basic credentials (appId, password). */
  user: string;
  password: string;
  call(method: string, path: string, o?: { body?: Buffer | string; headers?: Record<string, string> }): Promise<HttpResult>;
  stop(): Promise<void>;
}

export async function startRealRegistry(name: string): Promise<RealRegistry> {
  const cove = await startCove();
  try {
    return await realRegistryOn(cove, name);
  } catch (e) {
    await cove.stop();
    throw e;
  }
}

/** The same registry and Owner on a Cove already running (a spawned one too); `stop` stops that Cove. */
export async function realRegistryOn(cove: TestCove, name: string): Promise<RealRegistry> {
  const { id, loginServer } = await createRegistry(cove, `${name}-rg`, name);
  const owner = await createServicePrincipal(cove, `${name}-owner`);
  await assignRole(cove, id, owner.objectId, ROLE.Owner);
  const auth = basic(owner.appId, owner.password);
  return {
    cove,
    loginServer,
    user: owner.appId,
    password: owner.password,
    call: (method, path, o = {}) =>
      https(`https://127.0.0.1:${cove.registryPort}${path}`, {
        method, ca: cove.ca, host: loginServer, body: o.body, headers: { authorization: auth, ...(o.headers ?? {}) },
      }),
    stop: () => cove.stop(),
  };
}

export function sha256(b: Buffer | string): string {
  return "sha256:" + createHash("sha256").update(b).digest("hex");
}

/** Monolithic upload (POST ?digest=); returns the digest. */
export async function pushBlob(r: RealRegistry, repo: string, bytes: Buffer | string): Promise<string> {
  const digest = sha256(bytes);
  const res = await r.call("POST", `/v2/${repo}/blobs/uploads/?digest=${digest}`, {
    body: Buffer.from(bytes), headers: { "content-type": "application/octet-stream" },
  });
  if (res.status !== 201) throw new Error(`pushBlob ${repo}: ${res.status} ${res.body}`);
  return digest;
}

export interface PushedImage {
  digest: string;
  body: Buffer;
  config: { digest: string; bytes: Buffer };
  layer: { digest: string; bytes: Buffer };
}

/** Pushes a config, one layer and an OCI manifest naming them under `tag`. */
export async function pushImage(r: RealRegistry, repo: string, tag: string, seed = tag): Promise<PushedImage> {
  const configBytes = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] }, seed }));
  const layerBytes = Buffer.from(`layer bytes of ${seed}`);
  const config = await pushBlob(r, repo, configBytes);
  const layer = await pushBlob(r, repo, layerBytes);
  const body = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: OCI_MANIFEST,
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: config, size: configBytes.length },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: layer, size: layerBytes.length }],
  }));
  const res = await r.call("PUT", `/v2/${repo}/manifests/${tag}`, { body, headers: { "content-type": OCI_MANIFEST } });
  if (res.status !== 201) throw new Error(`pushImage ${repo}:${tag}: ${res.status} ${res.body}`);
  return { digest: sha256(body), body, config: { digest: config, bytes: configBytes }, layer: { digest: layer, bytes: layerBytes } };
}
