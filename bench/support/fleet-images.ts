// Content for bench/fleet-bench.ts, beyond the big image (scripts/make-oci-image.mjs writes that one):
//   smallImages   one OCI image layout holding `count` distinct small images, tags s0..s<count-1>,
//                 each a config and one gzip'd tar (src/cli/toolkit/evidence/tar.ts) of a file of
//                 random bytes: already compressed, so skopeo pushes the layers as they are.
//   GeneratedBlob `mib` MiB made from an 8 MiB random pool, each 1 MiB chunk stamped with its index
//                 (no two chunks alike), streamed from memory: the 1 GiB push then reads nothing from
//                 disk and leaves no 1 GiB source file for the disk to write back during the push.
import { createHash, randomBytes } from "node:crypto";
import { mkdir, open, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { tarStream } from "../../src/cli/toolkit/evidence/tar.js";

const MIB = 1 << 20;
const POOL_CHUNKS = 8;

async function toBuffer(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** Writes the layout; returns the tags and the bytes one image is made of (config + layer + manifest). */
export async function smallImages(out: string, count: number, fileBytes = 4096): Promise<{ tags: string[]; bytesEach: number }> {
  const blobs = join(out, "blobs", "sha256");
  await mkdir(blobs, { recursive: true });
  const put = async (b: Buffer) => {
    const hex = createHash("sha256").update(b).digest("hex");
    await writeFile(join(blobs, hex), b);
    return { digest: `sha256:${hex}`, size: b.length };
  };
  const scratch = join(out, "scratch");
  await mkdir(scratch);
  const manifests: object[] = [];
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const path = join(scratch, `f${i}`);
    await writeFile(path, randomBytes(fileBytes));
    const tar = await toBuffer(tarStream(`app${i}`, [{ name: "data.bin", path, size: fileBytes }]));
    const layer = await put(gzipSync(tar, { level: 1 }));
    const config = await put(Buffer.from(JSON.stringify({
      architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [`sha256:${createHash("sha256").update(tar).digest("hex")}`] }, config: {},
    })));
    const manifestBytes = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...layer }],
    }));
    const m = await put(manifestBytes);
    bytes += layer.size + config.size + m.size;
    manifests.push({ mediaType: "application/vnd.oci.image.manifest.v1+json", ...m, annotations: { "org.opencontainers.image.ref.name": `s${i}` } });
  }
  await writeFile(join(out, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  await writeFile(join(out, "index.json"), JSON.stringify({ schemaVersion: 2, manifests }));
  return { tags: manifests.map((_, i) => `s${i}`), bytesEach: Math.round(bytes / Math.max(1, count)) };
}

/** The manifest of a single-image layout written by scripts/make-oci-image.mjs, and its blobs' total size. */
export async function layoutImage(dir: string): Promise<{ manifest: any; bytes: number; layerSizes: number[] }> {
  const index = JSON.parse(await readFile(join(dir, "index.json"), "utf8"));
  const top = index.manifests[0];
  const manifest = JSON.parse(await readFile(join(dir, "blobs", "sha256", top.digest.slice(7)), "utf8"));
  const layerSizes = manifest.layers.map((l: { size: number }) => l.size);
  return { manifest, bytes: top.size + manifest.config.size + layerSizes.reduce((a: number, b: number) => a + b, 0), layerSizes };
}

export class GeneratedBlob {
  readonly size: number;
  private readonly pool = randomBytes(POOL_CHUNKS * MIB);

  constructor(readonly mib: number) {
    this.size = mib * MIB;
  }

  /** Chunk `k` (1 MiB): a fresh buffer, as a socket or file write may hold it after we move on. */
  chunk(k: number): Buffer {
    const b = Buffer.allocUnsafe(MIB);
    this.pool.copy(b, 0, (k % POOL_CHUNKS) * MIB, (k % POOL_CHUNKS + 1) * MIB);
    b.writeUInt32BE(k, 0);
    return b;
  }

  stream(): Readable {
    const self = this;
    return Readable.from((function* () { for (let k = 0; k < self.mib; k++) yield self.chunk(k); })(), { objectMode: false });
  }

  /** The digest, and the in-memory sha256 rate (bytes/s) counting only the hash's own time. */
  digest(): { digest: string; shaBytesPerSecond: number } {
    const h = createHash("sha256");
    let ns = 0n;
    for (let k = 0; k < this.mib; k++) {
      const c = this.chunk(k);
      const t0 = process.hrtime.bigint();
      h.update(c);
      ns += process.hrtime.bigint() - t0;
    }
    return { digest: `sha256:${h.digest("hex")}`, shaBytesPerSecond: this.size / (Number(ns) / 1e9) };
  }

  /** The fsync'd sequential write rate (bytes/s) of these bytes to a new file `path` (1 MiB writes, one fdatasync), removed after. */
  async writeRate(path: string): Promise<number> {
    const t0 = process.hrtime.bigint();
    const fh = await open(path, "w");
    try {
      for (let k = 0; k < this.mib; k++) await fh.write(this.chunk(k));
      await fh.datasync();
    } finally {
      await fh.close();
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    await rm(path, { force: true });
    return this.size / seconds;
  }
}
