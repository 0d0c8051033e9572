// Lists the entries of an image layer (a gzip'd tar) as it streams, without unpacking it: what a
// runtime would put on disk, by path, with the owner and mode it would give them. Reads ustar headers,
// PAX `path` records and GNU long names, which is what Go's archive/tar (buildah) writes.
import { createGunzip } from "node:zlib";
import type { Readable } from "node:stream";

export interface TarEntry {
  type: "file" | "dir" | "symlink" | "link" | "other";
  mode: number;
  uid: number;
  gid: number;
  size: number;
}

const TYPES: Record<string, TarEntry["type"]> = { "0": "file", "\0": "file", "5": "dir", "2": "symlink", "1": "link" };

function octal(b: Buffer, from: number, len: number): number {
  const s = b.subarray(from, from + len).toString("latin1").replace(/\0.*$/s, "").trim();
  return s === "" ? 0 : parseInt(s, 8);
}

function text(b: Buffer, from: number, len: number): string {
  const end = b.indexOf(0, from);
  return b.subarray(from, end === -1 || end > from + len ? from + len : end).toString("utf8");
}

/** Every entry of the layer, by path without a leading "./" or "/" (directories without a trailing "/"). */
export async function listLayer(gzipped: Readable): Promise<Map<string, TarEntry>> {
  const entries = new Map<string, TarEntry>();
  let pending: Buffer = Buffer.alloc(0);
  let skip = 0; // data bytes (with padding) still to pass over
  let capture: { kind: "pax" | "longname"; left: number; bytes: Buffer[] } | undefined;
  let nextName: string | undefined;
  for await (const chunk of gzipped.pipe(createGunzip())) {
    pending = pending.length ? Buffer.concat([pending, chunk as Buffer]) : (chunk as Buffer);
    for (;;) {
      if (skip > 0) {
        const n = Math.min(skip, pending.length);
        if (capture && capture.left > 0) {
          const take = Math.min(capture.left, n);
          capture.bytes.push(pending.subarray(0, take));
          capture.left -= take;
        }
        pending = pending.subarray(n);
        skip -= n;
        if (skip > 0) break;
        if (capture) {
          const body = Buffer.concat(capture.bytes).toString("utf8");
          if (capture.kind === "longname") nextName = body.replace(/\0.*$/s, "");
          else for (const rec of body.split("\n")) {
            const m = /^\d+ path=(.*)$/s.exec(rec);
            if (m) nextName = m[1];
          }
          capture = undefined;
        }
        continue;
      }
      if (pending.length < 512) break;
      const h = pending.subarray(0, 512);
      pending = pending.subarray(512);
      if (h.every((x) => x === 0)) continue; // the end-of-archive blocks
      const flag = String.fromCharCode(h[156]);
      const size = octal(h, 124, 12);
      const padded = Math.ceil(size / 512) * 512;
      if (flag === "x" || flag === "L") {
        capture = padded ? { kind: flag === "x" ? "pax" : "longname", left: size, bytes: [] } : undefined;
        skip = padded;
        continue;
      }
      const prefix = h.subarray(257, 262).toString("latin1") === "ustar" ? text(h, 345, 155) : "";
      const name = nextName ?? (prefix ? `${prefix}/${text(h, 0, 100)}` : text(h, 0, 100));
      nextName = undefined;
      entries.set(name.replace(/^(\.\/|\/)+/, "").replace(/\/$/, ""), {
        type: TYPES[flag] ?? "other", mode: octal(h, 100, 8) & 0o7777, uid: octal(h, 108, 8), gid: octal(h, 116, 8), size,
      });
      skip = padded;
    }
  }
  return entries;
}
