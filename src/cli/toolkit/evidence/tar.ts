// A ustar (POSIX.1-1988) writer and reader, Node built-ins only, for evidence bundles as one file:
// the networking page downloads a bundle as a .tar, and `cove acr evidence verify` reads one back.
// The writer streams regular files from disk (a bundle's evidence.json may be large) under one
// directory entry; the reader takes the archive in memory and knows only what a bundle needs:
// regular files and directories. Links, devices, FIFOs, pax or GNU long-name headers, absolute
// names and `..` are refused, so nothing a crafted archive names can point outside itself.
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";

const BLOCK = 512;

export interface TarFile { name: string; path: string; size: number }
export interface TarEntry { name: string; type: "file" | "directory"; data: Buffer }

/** A name the header can hold: up to 100 bytes, or a prefix of up to 155 split at a '/'. */
function splitName(name: string): { name: string; prefix: string } {
  if (Buffer.byteLength(name) <= 100) return { name, prefix: "" };
  for (let i = name.indexOf("/"); i > 0; i = name.indexOf("/", i + 1)) {
    if (Buffer.byteLength(name.slice(0, i)) <= 155 && Buffer.byteLength(name.slice(i + 1)) <= 100) return { prefix: name.slice(0, i), name: name.slice(i + 1) };
  }
  throw new Error(`the name '${name}' is too long for a ustar header`);
}

function header(name: string, size: number, type: "0" | "5", mtime: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  const n = splitName(name);
  const octal = (v: number, width: number, at: number) => h.write(v.toString(8).padStart(width - 1, "0") + "\0", at, "ascii");
  h.write(n.name, 0, 100, "utf8");
  octal(type === "5" ? 0o755 : 0o644, 8, 100);
  octal(0, 8, 108);
  octal(0, 8, 116);
  octal(size, 12, 124);
  octal(Math.floor(mtime / 1000), 12, 136);
  h.write("        ", 148, "ascii"); // the checksum is summed with its own field as spaces
  h.write(type, 156, "ascii");
  h.write("ustar\u000000", 257, "ascii");
  h.write(n.prefix, 345, 155, "utf8");
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, "ascii");
  return h;
}

const padding = (size: number) => (BLOCK - (size % BLOCK)) % BLOCK;

/** The archive's exact length: a header per entry, each file padded to a block, two zero blocks. */
export function tarLength(files: readonly TarFile[]): number {
  return BLOCK + files.reduce((n, f) => n + BLOCK + f.size + padding(f.size), 0) + 2 * BLOCK;
}

/** `<dir>/` then each file as `<dir>/<name>`, streamed from disk; sizes must be the files' own. */
export function tarStream(dir: string, files: readonly TarFile[], mtime = Date.now()): Readable {
  async function* blocks(): AsyncGenerator<Buffer> {
    yield header(`${dir}/`, 0, "5", mtime);
    for (const f of files) {
      yield header(`${dir}/${f.name}`, f.size, "0", mtime);
      let sent = 0;
      for await (const chunk of createReadStream(f.path)) {
        sent += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
      if (sent !== f.size) throw new Error(`${f.name} changed size while it was archived`);
      yield Buffer.alloc(padding(f.size));
    }
    yield Buffer.alloc(2 * BLOCK);
  }
  return Readable.from(blocks(), { objectMode: false });
}

/** Why an archive is refused; the caller words it for its reader. */
export class TarError extends Error {}

function field(h: Buffer, at: number, len: number): string {
  const raw = h.subarray(at, at + len);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? len : end).toString("utf8");
}

function octalField(h: Buffer, at: number, len: number, what: string): number {
  const text = field(h, at, len).trim();
  if (!/^[0-7]{1,12}$/.test(text)) throw new TarError(`a header's ${what} is not an octal number`);
  return parseInt(text, 8);
}

/** A safe relative name: no absolute path, no `..`, no empty component; a leading `./` dropped. */
function safeName(raw: string): string {
  if (raw.startsWith("/") || /^[A-Za-z]:/.test(raw) || raw.includes("\\")) throw new TarError(`the entry '${raw}' has an absolute name`);
  const parts = raw.split("/").filter((p, i, all) => !(p === "" && i === all.length - 1) && !(p === "." && i === 0));
  if (parts.length === 0 || parts.some((p) => p === "" || p === "." || p === "..")) throw new TarError(`the entry '${raw}' has a name with '..', '.' or an empty component`);
  return parts.join("/");
}

const TYPES: Record<string, string> = { "1": "a hard link", "2": "a symbolic link", "3": "a character device", "4": "a block device", "6": "a FIFO", x: "a pax header", g: "a pax global header", L: "a GNU long name", K: "a GNU long link name" };

/** Every entry of a ustar (or GNU tar's `ustar  `) archive held in memory, in order. */
export function readTar(tar: Buffer): TarEntry[] {
  const out: TarEntry[] = [];
  for (let off = 0; ; ) {
    if (off + BLOCK > tar.length) throw new TarError("the archive ends without its two closing zero blocks: it is truncated");
    const h = tar.subarray(off, off + BLOCK);
    if (h.every((b) => b === 0)) return out;
    if (field(h, 257, 6).slice(0, 5) !== "ustar") throw new TarError(`the block at byte ${off} is not a ustar header`);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
    if (sum !== octalField(h, 148, 8, "checksum")) throw new TarError(`the header at byte ${off} fails its checksum: it was changed`);
    const type = String.fromCharCode(h[156]!);
    const prefix = field(h, 345, 155);
    const raw = prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100);
    if (type !== "0" && type !== "\0" && type !== "5") throw new TarError(`the entry '${raw}' is ${TYPES[type] ?? `of type '${type}'`}; a bundle holds only files and a directory`);
    const size = octalField(h, 124, 12, "size");
    const start = off + BLOCK;
    if (start + size > tar.length) throw new TarError(`the entry '${raw}' is cut off: the archive is truncated`);
    out.push({ name: safeName(raw), type: type === "5" ? "directory" : "file", data: tar.subarray(start, start + size) });
    off = start + size + padding(size);
  }
}
