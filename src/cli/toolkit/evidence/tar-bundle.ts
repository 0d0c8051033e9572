// Where verify reads a bundle's files from: its directory, or a .tar of it (the networking page's
// download, tar.ts). A tar is read in memory, bounded, and then checked exactly as a directory is:
// the same listing (a tar's one top directory is the bundle's directory), the same bytes, so a
// changed file in a tar gives the same failure and message as in a directory.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { CliError, usageError } from "../../errors.js";
import { readTar, TarError } from "./tar.js";

/** A bundle as a .tar is read whole into memory; a larger one is extracted and verified as a directory. */
export const MAX_TAR_BYTES = 64 * 1024 * 1024;

export interface BundleSource {
  /** What messages name: the path given. */
  label: string;
  /** The names in the bundle's directory (a subdirectory is one name, as readdir lists it). */
  entries: string[];
  read(name: string): Promise<Buffer>;
  digest(name: string): Promise<{ sha256: string; bytes: number }>;
}

async function fileDigest(path: string): Promise<{ sha256: string; bytes: number }> {
  const h = createHash("sha256");
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    h.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: h.digest("hex"), bytes };
}

function directorySource(dir: string, entries: string[]): BundleSource {
  return { label: dir, entries, read: (name) => readFile(join(dir, name)), digest: (name) => fileDigest(join(dir, name)) };
}

/** The files of one bundle in an archive: at its top, or all under one directory (as the page writes it). */
function tarSource(file: string, tar: Buffer, refuse: (why: string) => Error): BundleSource {
  let entries;
  try {
    entries = readTar(tar);
  } catch (e) {
    if (e instanceof TarError) throw refuse(e.message);
    throw e;
  }
  const top = new Set(entries.map((e) => e.name.split("/")[0]!));
  const [dir] = top;
  const nested = top.size === 1 && entries.every((e) => e.name.includes("/") || e.type === "directory");
  const files = new Map<string, Buffer>();
  const listed = new Set<string>();
  for (const e of entries) {
    const name = nested ? e.name.slice(dir!.length + 1) : e.name;
    if (name === "") continue; // the bundle's directory itself
    // tar -x keeps the last of two entries of one name; verify must not read another one than it.
    if (files.has(name)) throw refuse(`it holds '${e.name}' twice`);
    if (e.type === "file") files.set(name, e.data);
    listed.add(name.split("/")[0]!);
  }
  const get = (name: string) => {
    const data = files.get(name);
    if (!data) throw usageError(`'${file}' holds no file ${name}.`);
    return data;
  };
  return {
    label: file,
    entries: [...listed],
    read: async (name) => get(name),
    digest: async (name) => ({ sha256: createHash("sha256").update(get(name)).digest("hex"), bytes: get(name).length }),
  };
}

/** A directory, or a .tar file; anything else is a usage error naming the path. */
export async function openBundle(path: string, refuseArchive: (why: string) => Error): Promise<BundleSource> {
  try {
    const st = await stat(path);
    if (st.isDirectory()) return directorySource(path, await readdir(path));
    if (!st.isFile()) throw usageError(`'${path}' is neither a directory nor a .tar file: give the directory an evidence bundle was exported to, or its .tar.`);
    if (st.size > MAX_TAR_BYTES) {
      throw usageError(`'${path}' is ${st.size} bytes; a bundle as a .tar is read in memory up to ${MAX_TAR_BYTES} bytes: extract it (tar -xf) and verify the directory.`);
    }
    const handle = await open(path, "r");
    let tar: Buffer;
    try {
      // Read to the end but never past the bound, whatever the file grew to since stat.
      tar = Buffer.alloc(Math.min(st.size + 1, MAX_TAR_BYTES + 1));
      let n = 0;
      for (let r; n < tar.length && (r = (await handle.read(tar, n, tar.length - n, n)).bytesRead) > 0;) n += r;
      if (n > MAX_TAR_BYTES) throw usageError(`'${path}' grew past ${MAX_TAR_BYTES} bytes while it was read.`);
      tar = tar.subarray(0, n);
    } finally {
      await handle.close();
    }
    return tarSource(path, tar, refuseArchive);
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw usageError(`Cannot read the bundle directory or .tar '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
