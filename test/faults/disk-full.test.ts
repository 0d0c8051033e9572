// A full disk at the data dir, while pushing. The data dir is a 24 MiB tmpfs mounted in a private
// mount namespace, held by a `cat` that dies with the test (so no mount outlives it); cove serve
// runs inside that namespace (nsenter), SQLite included, and the test reaches the files through
// /proc/<holder>/root. (Cove outside with its data dir under /proc/<holder>/root would not do:
// SQLite resolves that link and would open its database on the host's disk.) The test pushes until
// a write is refused, fills the last bytes with a file of its own, and checks what a user would:
// every refused write (monolithic push, PATCH, session POST, manifest PUT) gets the catalogued
// 507 UNAVAILABLE, the server stays up, reads of what was pushed keep working, nothing half-written
// is visible (a refused blob is BLOB_UNKNOWN, a refused manifest MANIFEST_UNKNOWN, no upload file
// is left behind, every blob file hashes to its name, a refused PATCH leaves the upload where it
// stood). The management API on the same disk: an ARM write SQLite finds no room for is 507
// InsufficientStorage, the refused resource group is not there, and no new token is issued (its issue
// could not be audited: the identity provider's catalogued 507). The full disk is logged once
// per store, not per request, and nothing at error level. Then the tmpfs is grown (mount
// -o remount through nsenter): writes resume without a restart, the chunked upload resumes, and
// after a restart the metadata holds everything acknowledged.
// Needs root (mount); skipped with a message otherwise. CI runs as root.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, open, readdir, rmdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { bytesFor } from "../conformance/helpers.js";
import {
  blobFiles, closeSession, imageManifest, ociCode, patchChunk, pushMonolithic, putManifest, sha256, sha256File,
  startFaultServer, startSession, OCI_MANIFEST, type FaultServer,
} from "./fault-server.js";
import type { HttpResult } from "../support/http.js";
import { clients, credentialFor } from "../support/arm.js";

const MIB = 1 << 20;
const SIZE_MIB = 24;

/** A process in a mount namespace of its own with a tmpfs of `sizeMib` on `dir`; it lives until stdin closes. */
async function holdTmpfs(dir: string, sizeMib: number): Promise<ChildProcess> {
  const holder = spawn("unshare", ["-m", "--propagation", "private", "sh", "-c",
    `mount -t tmpfs -o size=${sizeMib}m,mode=0700 tmpfs "$0" && echo mounted && exec cat`, dir], { stdio: ["pipe", "pipe", "pipe"] });
  let err = "";
  holder.stderr!.on("data", (d) => (err += d));
  const line = await new Promise<string | undefined>((ok) => {
    createInterface({ input: holder.stdout! }).once("line", ok);
    holder.once("exit", () => ok(undefined));
  });
  if (line !== "mounted") throw new Error(`mounting a tmpfs in a private mount namespace failed: ${err}`);
  return holder;
}

/** Fills the filesystem of `path` to its last byte; returns how much it wrote. */
async function fill(path: string): Promise<number> {
  const fh = await open(path, "w");
  let written = 0;
  try {
    for (const size of [MIB, 4096]) {
      const buf = Buffer.alloc(size, 0x5a);
      for (;;) {
        try {
          const { bytesWritten } = await fh.write(buf, 0, size, written);
          written += bytesWritten;
          if (bytesWritten < size) break;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "ENOSPC") throw e;
          break;
        }
      }
    }
    await fh.sync().catch(() => undefined);
  } finally {
    await fh.close();
  }
  return written;
}

const answer = (r: HttpResult) => `${r.status} ${ociCode(r)} ${r.body.toString().slice(0, 300)}`;

test("a full disk at the data dir: catalogued errors, reads keep working, writes resume when space returns", { timeout: 60_000 }, async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip("needs root: it mounts a tmpfs in a private mount namespace (CI runs as root)");
    return;
  }
  const mountPoint = await mkdtemp(join(tmpdir(), "cove-full-"));
  const holder = await holdTmpfs(mountPoint, SIZE_MIB);
  let fs: FaultServer | undefined;
  try {
    fs = await startFaultServer(mountPoint, "fullreg", { COVE_LOG_LEVEL: "info" }, {
      prefix: ["nsenter", "-t", String(holder.pid), "-m", `--wd=${process.cwd()}`, "--"],
      view: (p) => `/proc/${holder.pid}/root${p}`,
    });
    const reg = fs.reg;
    const dataDir = fs.files;
    const pid = fs.server.child.pid;
    const FULL = [507, "UNAVAILABLE"];

    // 1. An image pushed while there is room, and a chunked upload under way.
    const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } }));
    const layer = bytesFor("disk-full/base", 2 * MIB);
    for (const b of [config, layer]) assert.equal((await pushMonolithic(reg, "full/base", b)).status, 201);
    const base = imageManifest({ digest: sha256(config), size: config.length }, { digest: sha256(layer), size: layer.length });
    assert.equal((await putManifest(reg, "full/base", "v1", base)).status, 201);
    const chunked = bytesFor("disk-full/chunked", 2 * MIB);
    const session = await startSession(reg, "full/chunked");
    assert.equal(session.status, 202, answer(session));
    const loc = String(session.headers.location);
    assert.equal((await patchChunk(reg, loc, 0, chunked.subarray(0, MIB))).status, 202);

    // The management client, with its token, while there is room.
    const { resources } = clients(reg.cove);
    const groupTags = (i: number) => Object.fromEntries(Array.from({ length: 40 }, (_, k) => [`k${k}-${"x".repeat(494)}`, `${i}-${"v".repeat(240)}`]));
    const groups = ["full-arm-base"];
    await resources.resourceGroups.createOrUpdate(groups[0]!, { location: "westeurope", tags: groupTags(0) });

    // 2. Push 3 MiB blobs until one is refused (bounded: the tmpfs holds fewer than SIZE_MIB / 3 of them).
    let refused: { bytes: Buffer; r: HttpResult } | undefined;
    const pushed: string[] = [];
    for (let i = 0; i < SIZE_MIB / 3 + 2 && !refused; i++) {
      const bytes = bytesFor(`disk-full/${i}`, 3 * MIB);
      const r = await pushMonolithic(reg, "full/fill", bytes);
      if (r.status === 201) pushed.push(sha256(bytes));
      else refused = { bytes, r };
    }
    assert.ok(refused, `a ${SIZE_MIB} MiB disk refused no push`);
    console.log(`# disk full after ${pushed.length} blobs of 3 MiB: ${answer(refused.r)}`);
    assert.deepEqual([refused.r.status, ociCode(refused.r)], FULL, `a push on a full disk: ${answer(refused.r)}`);
    assert.equal(refused.r.json().errors[0].detail.store, "blob store");

    // 3. The last bytes taken by a file of the test's own: now writing bytes must fail. A metadata
    //    write may still fit in room SQLite already holds (its WAL): then it must have been stored whole.
    console.log(`# filler: ${await fill(join(dataDir, "filler"))} bytes`);
    const refusals: Array<[string, HttpResult, number]> = [
      ["monolithic push", await pushMonolithic(reg, "full/fill", bytesFor("disk-full/small", 64 * 1024)), 0],
      ["PATCH", await patchChunk(reg, loc, MIB, chunked.subarray(MIB)), 0],
      ["POST of a session", await startSession(reg, "full/chunked"), 202],
      ["manifest PUT", await putManifest(reg, "full/base", "v2", base), 201],
    ];
    const stores = new Set(["blob store"]);
    for (const [what, r, mayPass] of refusals) {
      console.log(`# ${what} on a full disk: ${answer(r)}`);
      if (r.status === mayPass) continue;
      assert.deepEqual([r.status, ociCode(r)], FULL, `${what} on a full disk: ${answer(r)}`);
      stores.add(r.json().errors[0].detail.store);
    }
    const sessionOnFull = refusals[2][1].status === 202 ? [String(refusals[2][1].headers.location).split("/").pop()!] : [];

    // 3b. The management API on the same full disk: resource groups of about 30 KB each (40 tags)
    //     through the SDK until SQLite finds no room (its WAL may hold some first; bounded at 12 MB).
    //     The client's token was issued while there was room (step 1), as a running client's is.
    let armRefused: { name: string; e: { statusCode?: number; code?: string; message?: string } } | undefined;
    for (let i = 0; i < 400 && !armRefused; i++) {
      const name = `full-arm-${i}`;
      try {
        await resources.resourceGroups.createOrUpdate(name, { location: "westeurope", tags: groupTags(i + 1) });
        groups.push(name);
      } catch (e) {
        armRefused = { name, e: e as { statusCode?: number; code?: string; message?: string } };
      }
    }
    assert.ok(armRefused, "a full disk refused no ARM write of 12 MB");
    console.log(`# ARM write on a full disk after ${groups.length} groups: ${armRefused.e.statusCode} ${armRefused.e.code}: ${armRefused.e.message}`);
    assert.deepEqual([armRefused.e.statusCode, armRefused.e.code], [507, "InsufficientStorage"], `an ARM write on a full disk: ${armRefused.e.message}`);
    assert.match(String(armRefused.e.message), /metadata store is full: nothing was changed/);
    stores.add("metadata store");
    const notThere = await resources.resourceGroups.get(armRefused.name).then(() => "found", (e: { statusCode?: number }) => e.statusCode);
    assert.equal(notThere, 404, "the refused resource group is not visible");
    // A new token cannot be audited, so it is not issued: the identity provider's catalogued 507.
    const fresh = await credentialFor(reg.cove).getToken(`${reg.cove.managementUrl}/.default`).then(() => "issued", (e: Error) => e.message);
    assert.match(fresh, /AADSTS50000: There was an error issuing a token: the service's storage is full/, `a token on a full disk: ${fresh}`);

    // 4. The server is up, reads work, and nothing half-written is visible.
    assert.equal(fs.server.child.exitCode, null, "cove serve is still running");
    const health = await reg.call("GET", "/v2/");
    assert.equal(health.status, 200, `GET /v2/ on a full disk: ${answer(health)}`);
    const readBack = async (when: string) => {
      const m = await reg.call("GET", "/v2/full/base/manifests/v1", { headers: { accept: OCI_MANIFEST } });
      assert.ok(m.status === 200 && m.body.equals(base), `${when}: the manifest reads back: ${answer(m)}`);
      for (const b of [config, layer]) {
        const r = await reg.call("GET", `/v2/full/base/blobs/${sha256(b)}`);
        assert.ok(r.status === 200 && r.body.equals(b), `${when}: blob ${sha256(b)} reads back`);
      }
      for (const d of pushed) assert.equal((await reg.call("HEAD", `/v2/full/fill/blobs/${d}`)).status, 200, `${when}: blob ${d}`);
    };
    await readBack("on a full disk");
    const gone = await reg.call("GET", `/v2/full/fill/blobs/${sha256(refused.bytes)}`);
    assert.deepEqual([gone.status, ociCode(gone)], [404, "BLOB_UNKNOWN"], `the refused blob is not visible: ${answer(gone)}`);
    const v2 = await reg.call("GET", "/v2/full/base/manifests/v2", { headers: { accept: OCI_MANIFEST } });
    if (refusals[3][1].status === 201) assert.ok(v2.status === 200 && v2.body.equals(base), `the manifest PUT accepted on a full disk is whole: ${answer(v2)}`);
    else assert.deepEqual([v2.status, ociCode(v2)], [404, "MANIFEST_UNKNOWN"], `the refused manifest PUT stored nothing: ${answer(v2)}`);
    const status = await reg.call("GET", loc);
    assert.equal(String(status.headers.range), `0-${MIB - 1}`, "the refused PATCH left the upload where it stood");
    const id = loc.split("/").pop()!;
    assert.deepEqual((await readdir(join(dataDir, "uploads"))).sort(), [id, ...sessionOnFull].sort(), "no upload file of a refused push is left");
    for (const f of await blobFiles(dataDir)) assert.equal(await sha256File(f.path), f.hex, `blob file ${f.hex}`);

    // 5. Space returns (the tmpfs grows, as an operator would grow the volume): writes resume, no restart.
    const grow = spawnSync("nsenter", ["-t", String(holder.pid), "-m", "mount", "-o", `remount,size=${2 * SIZE_MIB}m`, mountPoint], { encoding: "utf8" });
    assert.equal(grow.status, 0, `growing the tmpfs: ${grow.stderr}`);
    const again = await pushMonolithic(reg, "full/fill", refused.bytes);
    assert.equal(again.status, 201, `the refused blob pushes once there is room: ${answer(again)}`);
    const resumed = await patchChunk(reg, loc, MIB, chunked.subarray(MIB));
    assert.equal(resumed.status, 202, `the chunked upload resumes where it stood: ${answer(resumed)}`);
    assert.equal((await closeSession(reg, loc, sha256(chunked))).status, 201);
    const put = await putManifest(reg, "full/base", "v2", base);
    assert.equal(put.status, 201, `the manifest PUT succeeds once there is room: ${answer(put)}`);
    assert.equal((await startSession(reg, "full/chunked")).status, 202);
    await resources.resourceGroups.createOrUpdate(armRefused.name, { location: "westeurope", tags: groupTags(-1) });
    groups.push(armRefused.name);
    assert.equal(fs.server.child.pid, pid, "the same cove serve process");
    for (const [repo, b] of [["full/fill", refused.bytes], ["full/chunked", chunked]] as const) {
      const r = await reg.call("GET", `/v2/${repo}/blobs/${sha256(b)}`);
      assert.ok(r.status === 200 && r.body.equals(b), `${repo}: the blob pushed after the disk was full reads back`);
    }

    // The operator's view: the full disk logged once per store at warn, its end at info, no error line.
    const log = fs.server.output().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { level: number; msg: string; store?: string });
    const full = log.filter((l) => /is full: writes answer 507/.test(l.msg));
    assert.deepEqual(full.map((l) => [l.level, l.store]).sort(), [...stores].sort().map((s) => [40, s]), "one warning per store, not one per request");
    assert.ok(log.some((l) => l.level === 30 && /has room again/.test(l.msg)), "the end of the condition is logged");
    assert.deepEqual(log.filter((l) => l.level >= 50).map((l) => l.msg), [], "no error-level log line");

    // 6. After a restart, the metadata holds everything acknowledged: SQLite came through the full disk whole.
    await fs.restart();
    await readBack("after a restart");
    const tags = await reg.call("GET", "/v2/full/base/tags/list");
    assert.deepEqual(tags.json().tags, ["v1", "v2"]);
    const listed = new Map<string, Record<string, string> | undefined>();
    for await (const g of resources.resourceGroups.list()) if (g.name?.startsWith("full-arm-")) listed.set(g.name, g.tags);
    assert.deepEqual([...listed.keys()].sort(), [...groups].sort(), "every acknowledged resource group, and only those, after a restart");
    assert.deepEqual(listed.get(groups[0]!), groupTags(0), "a group written before the disk filled is whole");
    assert.ok(await credentialFor(reg.cove).getToken(`${reg.cove.managementUrl}/.default`), "tokens are issued again");
    console.log(`# ${pushed.length} blobs of 3 MiB fit on ${SIZE_MIB} MiB; every refusal answered 507 UNAVAILABLE; writes resumed after the remount, reads never stopped`);
  } finally {
    await fs?.kill();
    holder.stdin!.end();
    await new Promise((ok) => (holder.exitCode !== null ? ok(null) : holder.once("exit", ok)));
    await rmdir(mountPoint);
  }
});
