// An image push over plain HTTP, as a registry client does it, and able to resume on another node:
// every blob is skipped when the node already has it (HEAD), else uploaded in 256 KiB chunks
// (POST, PATCH..., PUT ?digest=); an upload session a dead node had opened is continued where the
// node now asked says it stands (GET on the session: its Range), so a resumed push sends only the
// bytes the store does not hold. The manifest PUT last; its status is the push's answer.
import { randomBytes } from "node:crypto";
import { registryCall, sha256, type Cluster, type CoveNode } from "../support/nodes.js";

const CHUNK = 256 * 1024;
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

export interface Image {
  tag: string;
  mediaType: string;
  /** Layer then config. */
  bytes: Buffer[];
  blobs: string[];
  manifest: Buffer;
  digest: string;
}

/** What a push has under way: the upload session of each blob not yet committed. */
export interface PushState {
  uploads: Map<string, string>;
}

export function randomImage(tag: string, layerSize: number): Image {
  const layer = randomBytes(layerSize);
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", tag }));
  const blobs = [sha256(layer), sha256(config)];
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: OCI_MANIFEST,
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: blobs[1], size: config.length },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: blobs[0], size: layer.length }],
  }));
  return { tag, mediaType: OCI_MANIFEST, bytes: [layer, config], blobs, manifest, digest: sha256(manifest) };
}

/** The offset after the last byte a session holds, from its Range header ("0-<last>"). */
function nextOffset(range: unknown): number {
  const m = /^0-(\d+)$/.exec(String(range));
  if (!m) throw new Error(`no usable Range header: ${String(range)}`);
  // "0-0" is an empty session: chunks here are never 1 byte long.
  return Number(m[1]) === 0 ? 0 : Number(m[1]) + 1;
}

/** Pushes `img` to `repo` through `node`; `onResume` is called for each session continued from an earlier node. */
export async function pushImage(node: CoveNode, cluster: Cluster, loginServer: string, repo: string, img: Image, auth: string, state: PushState, onResume?: () => void): Promise<number> {
  const call = (method: string, path: string, body?: Buffer, headers: Record<string, string> = {}) =>
    registryCall(node, cluster, loginServer, method, path, { auth, body, headers });
  const expect = async (p: Promise<{ status: number; body: Buffer }>, status: number, what: string) => {
    const r = await p;
    if (r.status !== status) throw new Error(`${what} on node ${node.name}: ${r.status} ${r.body.toString().slice(0, 300)}`);
    return r as Awaited<ReturnType<typeof call>>;
  };
  for (const [i, digest] of img.blobs.entries()) {
    if ((await call("HEAD", `/v2/${repo}/blobs/${digest}`)).status === 200) continue;
    const bytes = img.bytes[i]!;
    let location = state.uploads.get(digest);
    let offset = 0;
    if (location) {
      const at = await call("GET", location);
      if (at.status === 204) {
        offset = nextOffset(at.headers.range);
        onResume?.();
      } else {
        location = undefined;
      }
    }
    if (!location) {
      const started = await expect(call("POST", `/v2/${repo}/blobs/uploads/`), 202, "POST upload");
      location = String(started.headers.location);
      state.uploads.set(digest, location);
    }
    while (offset < bytes.length) {
      const chunk = bytes.subarray(offset, offset + CHUNK);
      const r = await expect(call("PATCH", location, chunk, { "content-type": "application/octet-stream", "content-range": `${offset}-${offset + chunk.length - 1}` }), 202, "PATCH chunk");
      offset = nextOffset(r.headers.range);
    }
    await expect(call("PUT", `${location}?digest=${digest}`), 201, "PUT upload");
    state.uploads.delete(digest);
  }
  return (await call("PUT", `/v2/${repo}/manifests/${img.tag}`, img.manifest, { "content-type": img.mediaType })).status;
}
