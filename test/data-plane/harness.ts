// An in-process data plane over REAL stores (openStores in a temp dir) for integration tests:
// requests are built with fakeContext, so handlers stream bodies exactly as from a socket.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { pino } from "pino";
import { openStores } from "../../src/storage/open.js";
import { createDataPlane, type DataPlane } from "../../src/data-plane/index.js";
import type { RegistryAuth } from "../../src/data-plane/registry-auth-contract.js";
import type { BlobStore, MetadataStore } from "../../src/storage/types.js";
import type { RegistryView } from "../../src/domain/registry.js";
import { bodyBytes, fakeContext } from "../support/context.js";
import { allowAllAuth } from "./allow-all-auth.js";

export const REGISTRY: RegistryView = {
  key: "/subscriptions/s1/resourcegroups/rg/providers/microsoft.containerregistry/registries/myreg",
  id: "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/myreg",
  name: "myreg",
  location: "westeurope",
  sku: "Premium",
  loginServer: "myreg.cove.test:8444",
  adminUserEnabled: false,
  anonymousPullEnabled: false,
  publicNetworkAccess: "Enabled",
  dataEndpointEnabled: false,
  replicas: [],
};

export const OTHER_REGISTRY: RegistryView = { ...REGISTRY, key: REGISTRY.key.replace("myreg", "otherreg"), id: REGISTRY.id.replace("myreg", "otherreg"), name: "otherreg", loginServer: "otherreg.cove.test:8444" };

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  json: any;
}

export interface Harness {
  dir: string;
  meta: MetadataStore;
  blobs: BlobStore;
  plane: DataPlane;
  call(method: string, url: string, opts?: { headers?: Record<string, string>; body?: Buffer | string | object; registry?: RegistryView }): Promise<Reply>;
  /** Reopens the stores and the data plane on the same directory (a restart). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function openHarness(opts: { auth?: RegistryAuth; uploadTtlMs?: number; maxManifestBytes?: number } = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), "cove-dp-"));
  const log = pino({ level: "silent" });
  const auth = opts.auth ?? allowAllAuth();
  let stores = await openStores(dir);
  const build = () => createDataPlane({ ...stores, auth, log, uploadTtlMs: opts.uploadTtlMs, maxManifestBytes: opts.maxManifestBytes });
  const h: Harness = {
    dir,
    meta: stores.meta,
    blobs: stores.blobs,
    plane: build(),
    async call(method, url, o = {}) {
      const ctx = fakeContext({ method, url, headers: { host: "myreg.cove.test:8444", ...(o.headers ?? {}) }, body: o.body });
      const r = await h.plane.handle(ctx, o.registry ?? REGISTRY);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : String(v);
      const body = await bodyBytes(r.body);
      let json: any;
      try { json = body.length ? JSON.parse(body.toString("utf8")) : undefined; } catch { json = undefined; }
      return { status: r.status, headers, body, json };
    },
    async restart() {
      await stores.meta.close();
      await stores.blobs.close();
      stores = await openStores(dir);
      h.meta = stores.meta;
      h.blobs = stores.blobs;
      h.plane = build();
    },
    async close() {
      await stores.meta.close();
      await stores.blobs.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return h;
}

export function sha256(b: Buffer | string): string {
  return "sha256:" + createHash("sha256").update(b).digest("hex");
}
export function sha512(b: Buffer | string): string {
  return "sha512:" + createHash("sha512").update(b).digest("hex");
}

/** Pushes a blob with POST + PUT; returns its digest. */
export async function pushBlob(h: Harness, name: string, bytes: Buffer | string): Promise<string> {
  const digest = sha256(bytes);
  const r = await h.call("POST", `/v2/${name}/blobs/uploads/?digest=${digest}`, { body: Buffer.from(bytes), headers: { "content-type": "application/octet-stream" } });
  if (r.status !== 201) throw new Error(`pushBlob: ${r.status} ${r.body.toString()}`);
  return digest;
}

export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
export const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
export const DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";

/** Pushes a config + one layer and returns an OCI image manifest naming them (not yet pushed). */
export async function imageManifest(h: Harness, name: string, opts: { layer?: string; config?: string; mediaType?: string; extra?: object } = {}): Promise<{ body: Buffer; digest: string; config: string; layer: string }> {
  const configBytes = opts.config ?? JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } });
  const layerBytes = opts.layer ?? "layer-bytes";
  const config = await pushBlob(h, name, configBytes);
  const layer = await pushBlob(h, name, layerBytes);
  const mediaType = opts.mediaType ?? OCI_MANIFEST;
  const docker = mediaType === DOCKER_MANIFEST;
  const doc = {
    schemaVersion: 2,
    mediaType,
    config: { mediaType: docker ? "application/vnd.docker.container.image.v1+json" : "application/vnd.oci.image.config.v1+json", digest: config, size: Buffer.byteLength(configBytes) },
    layers: [{ mediaType: docker ? "application/vnd.docker.image.rootfs.diff.tar.gzip" : "application/vnd.oci.image.layer.v1.tar+gzip", digest: layer, size: Buffer.byteLength(layerBytes) }],
    ...(opts.extra ?? {}),
  };
  const body = Buffer.from(JSON.stringify(doc));
  return { body, digest: sha256(body), config, layer };
}

export async function putManifest(h: Harness, name: string, ref: string, body: Buffer, mediaType: string): Promise<Reply> {
  return h.call("PUT", `/v2/${name}/manifests/${ref}`, { body, headers: { "content-type": mediaType } });
}
