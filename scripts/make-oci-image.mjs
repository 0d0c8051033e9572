#!/usr/bin/env node
// Writes an OCI image layout (https://github.com/opencontainers/image-spec/blob/main/image-layout.md)
// whose layers are gzip'd tars of random bytes, so the README walkthrough and the tests have an image
// to push on a machine without internet access.
//
//   node scripts/make-oci-image.mjs OUT TAG SIZE_KIB [SIZE_KIB ...]          one image
//   node scripts/make-oci-image.mjs --index OUT TAG SIZE_KIB [SIZE_KIB ...]  amd64 + arm64 images under one index
//
// Prints the digest of the top-level manifest (or index). Layers are streamed to disk, so any size works.
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createGzip } from "node:zlib";
import { once } from "node:events";

const args = process.argv.slice(2);
const asIndex = args[0] === "--index";
if (asIndex) args.shift();
const [out, tag, ...sizeArgs] = args;
const sizes = sizeArgs.map(Number);
if (!out || !tag || sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n < 0)) {
  console.error("usage: make-oci-image.mjs [--index] OUT TAG SIZE_KIB [SIZE_KIB ...]");
  process.exit(2);
}
const blobs = join(out, "blobs", "sha256");
await mkdir(blobs, { recursive: true });

async function putBytes(bytes) {
  const digest = createHash("sha256").update(bytes).digest("hex");
  await writeFile(join(blobs, digest), bytes);
  return { digest: "sha256:" + digest, size: bytes.length };
}

function tarHeader(name, size) {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, "utf8");
  h.write("0000644\0", 100);
  h.write("0000000\0", 108);
  h.write("0000000\0", 116);
  h.write(size.toString(8).padStart(11, "0") + "\0", 124);
  h.write(Math.floor(Date.now() / 1000).toString(8).padStart(11, "0") + "\0", 136);
  h.write("        ", 148); // checksum placeholder: eight spaces while summing
  h.write("0", 156);
  h.write("ustar\0" + "00", 257);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148);
  return h;
}

/** Streams a tar of one random file through gzip into the blob store; returns layer descriptor + diff id. */
async function putLayer(name, bytes) {
  const tmp = join(out, `layer-${process.pid}-${name}.tmp`);
  const file = createWriteStream(tmp);
  const gz = createGzip({ level: 1 });
  const gzHash = createHash("sha256");
  const tarHash = createHash("sha256");
  let gzSize = 0;
  gz.on("data", (c) => { gzHash.update(c); gzSize += c.length; });
  gz.pipe(file);
  const write = async (buf) => { tarHash.update(buf); if (!gz.write(buf)) await once(gz, "drain"); };
  await write(tarHeader(name, bytes));
  for (let left = bytes; left > 0; ) {
    const n = Math.min(left, 1 << 20);
    await write(randomBytes(n));
    left -= n;
  }
  const pad = (512 - (bytes % 512)) % 512;
  if (pad) await write(Buffer.alloc(pad));
  await write(Buffer.alloc(1024)); // two zero blocks end the archive
  gz.end();
  await once(file, "close");
  const digest = gzHash.digest("hex");
  await rename(tmp, join(blobs, digest));
  return {
    layer: { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: "sha256:" + digest, size: gzSize },
    diffId: "sha256:" + tarHash.digest("hex"),
  };
}

async function putImage(arch) {
  const layers = [];
  const diffIds = [];
  for (let i = 0; i < sizes.length; i++) {
    const l = await putLayer(`${arch}-layer${i}.bin`, sizes[i] * 1024);
    layers.push(l.layer);
    diffIds.push(l.diffId);
  }
  const config = Buffer.from(JSON.stringify({
    architecture: arch, os: "linux", created: new Date().toISOString(),
    rootfs: { type: "layers", diff_ids: diffIds }, config: {},
  }));
  const c = await putBytes(config);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", ...c },
    layers,
  }));
  const m = await putBytes(manifest);
  return { mediaType: "application/vnd.oci.image.manifest.v1+json", ...m, platform: { architecture: arch, os: "linux" } };
}

let top;
if (asIndex) {
  const manifests = [await putImage("amd64"), await putImage("arm64")];
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests }));
  top = { mediaType: "application/vnd.oci.image.index.v1+json", ...(await putBytes(index)) };
} else {
  const { platform, ...m } = await putImage("amd64");
  top = m;
}
await writeFile(join(out, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
await writeFile(join(out, "index.json"), JSON.stringify({
  schemaVersion: 2,
  manifests: [{ ...top, annotations: { "org.opencontainers.image.ref.name": tag } }],
}));
console.log(top.digest);
