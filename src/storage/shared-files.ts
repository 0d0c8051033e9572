// Files of the data dir that every node on one shared metadata store must hold the same: the token
// signing key, the CA, the data-endpoint URL key, the audit checkpoint key and the evidence key.
// They stay files (every part that reads them is unchanged, and the embedded default never comes
// here); with a shared store they are also kept in it, as one internal record:
//
//   /cove/settings/shared-files   type Cove/sharedFiles   {files: {<path in the data dir>: <base64>}}
//
// A start takes the store's copy of each file it lacks, lets the parts make what is still missing,
// and puts what it made into the store, all in one exclusive section: when nodes start at once,
// exactly one makes the keys and the others take them. A data dir whose file differs from the
// store's belongs to another Cove, and the start stops rather than replace either copy: tokens and
// URLs signed with the overwritten key would fail without a word.
//
// Whoever can read the database can read these keys, and mint any token with them: the database is
// as sensitive as a data dir (docs/scale-out.md).
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { MetadataStore } from "./types.js";

export const SHARED_FILES_ID = "/cove/settings/shared-files";
const SHARED_FILES_TYPE = "Cove/sharedFiles";

export interface SharedFile {
  /** Relative to the data dir, "/"-separated. */
  path: string;
  /** The mode a copy taken from the store is written with (its folder gets 0700). */
  mode: number;
}

export interface SharedFilesResult {
  /** Taken from the store into this data dir. */
  pulled: string[];
  /** Made by this node and put into the store. */
  pushed: string[];
}

async function readOptional(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

function storedFiles(body: unknown): Record<string, string> {
  const files = (body as { files?: unknown } | undefined)?.files;
  if (!files || typeof files !== "object") return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(files)) if (typeof v === "string") out[k] = v;
  return out;
}

/**
 * Makes `files` the same in this data dir as in every other node's: `create` runs between the
 * pull and the push, and makes (like a first start) whatever file is still missing.
 */
export async function shareDataDirFiles(meta: MetadataStore, dataDir: string, files: SharedFile[], create: () => Promise<void>): Promise<SharedFilesResult> {
  return meta.exclusive(async () => {
    const stored = storedFiles((await meta.getResource(SHARED_FILES_ID))?.body);
    const pulled: string[] = [];
    for (const f of files) {
      const local = join(dataDir, f.path);
      const have = await readOptional(local);
      const wanted = stored[f.path];
      if (wanted === undefined) continue;
      const want = Buffer.from(wanted, "base64");
      if (have) {
        if (!have.equals(want)) {
          throw new Error(`${local} differs from the ${f.path} the shared metadata store holds: this data dir belongs to another Cove. ` +
            "Start this node with an empty data dir to join the shared store, or move the file aside if the store's copy is the one to keep.");
        }
        continue;
      }
      await mkdir(dirname(local), { recursive: true, mode: 0o700 });
      await writeFile(local, want, { mode: f.mode, flag: "wx" });
      await chmod(local, f.mode);
      pulled.push(f.path);
    }
    await create();
    const pushed: string[] = [];
    for (const f of files) {
      if (stored[f.path] !== undefined) continue;
      const have = await readOptional(join(dataDir, f.path));
      if (!have) continue; // not made here (the CA, when the operator's certificate is configured)
      stored[f.path] = have.toString("base64");
      pushed.push(f.path);
    }
    if (pushed.length) await meta.putResource({ id: SHARED_FILES_ID, type: SHARED_FILES_TYPE, body: { files: stored } });
    return { pulled, pushed };
  });
}
