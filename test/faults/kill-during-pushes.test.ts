// kill -9 during 32 concurrent pushes, five times over, each round's pushes going on against the
// server restarted on the same data dir. After every restart it checks what a user relies on:
// every manifest answered 201 before the kill reads back byte for byte (by tag and by digest), the
// blobs those manifests name read back with their digests, every blob file in the store hashes to
// its name, a manifest or blob whose request was cut off is either absent or whole, and each upload
// session the kill interrupted either answers BLOB_UPLOAD_UNKNOWN or reports a size whose bytes are
// a prefix of what was sent, and resumes from there to the right digest. Some interrupted sessions
// are left dead on purpose; at the end their bytes must be reclaimed when their sessions expire.
// Cove reclaims on expiry only (the 60 s upload sweep, main.ts), never at start-up: a restart keeps
// sessions resumable. The sweep runs here over the crashed data dir through the data plane's own
// sweep() with its clock moved past uploadTtlMinutes, instead of waiting the TTL out in real time.
// Replaces the one-round, 8-upload test/e2e/crash.test.ts. Seeded: COVE_KILL_SEED replays a run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { Rng } from "../fuzz/support.js";
import { bytesFor } from "../conformance/helpers.js";
import { allowAllAuth } from "../data-plane/allow-all-auth.js";
import { openStores } from "../../src/storage/open.js";
import { createDataPlane } from "../../src/data-plane/index.js";
import {
  blobFiles, closeSession, imageManifest, ociCode, patchChunk, pushMonolithic, putManifest, sha256, sha256File,
  startFaultServer, startSession, OCI_MANIFEST, type FaultServer,
} from "./fault-server.js";

const SEED = process.env.COVE_KILL_SEED !== undefined ? Number(process.env.COVE_KILL_SEED) >>> 0 : 15_032_005;
const ROUNDS = 5;
const WORKERS = 32;
const IMAGES_PER_WORKER = 3;
const MIB = 1 << 20;
const TTL_MINUTES = 30;

type Mode = "monolithic" | "chunked" | "session-put";

interface Attempt {
  repo: string;
  tag: string;
  mode: Mode;
  layer: Buffer;
  layerDigest: string;
  stage: "config" | "layer" | "manifest" | "done";
  /** This push's own generator (sizes, mode, chunking, whether to resume it): the same whatever the timing. */
  rng: Rng;
  location?: string;
  manifest?: Buffer;
}

/** The seed of one round's kill moment (w = i = 0) or of one push: a pure function of SEED and its place. */
const seedOf = (round: number, w: number, i: number) => (SEED ^ Math.imul(round, 0x9e3779b1) ^ Math.imul(w, 0x85ebca6b) ^ Math.imul(i, 0xc2b2ae35)) >>> 0;

interface Acked { repo: string; tag: string; digest: string; body: Buffer; blobs: Array<{ digest: string; size: number }> }
interface Dead { id: string; location: string; size: number }

test(`kill -9 during ${WORKERS} concurrent pushes, ${ROUNDS} rounds: acknowledged pushes intact, no corrupt blob, dead sessions reclaimed on expiry`, { timeout: 120_000 }, async () => {
  console.log(`# kill-during-pushes: seed ${SEED} (replay with COVE_KILL_SEED=${SEED})`);
  const dataDir = await mkdtemp(join(tmpdir(), "cove-kill-"));
  const started = Date.now();
  let fs: FaultServer | undefined;
  try {
    fs = await startFaultServer(dataDir, "killreg", { COVE_UPLOAD_TTL_MINUTES: String(TTL_MINUTES) });
    const srv = fs;
    const reg = () => srv.reg;
    const acked: Acked[] = [];
    const dead: Dead[] = [];
    const hashed = new Set<string>();

    for (let round = 1; round <= ROUNDS; round++) {
      const rng = new Rng(seedOf(round, 0, 0));
      const killAfterAcks = 1 + rng.int(6);
      const killDelayMs = rng.int(300);
      const where = `seed ${SEED} round ${round} (kill after ${killAfterAcks} acknowledged manifests + ${killDelayMs} ms)`;
      const attempts: Attempt[] = [];
      let killed = false;
      let roundAcks = 0;
      let layersInFlight = 0;
      let onAck = () => {};
      const enoughAcks = new Promise<void>((ok) => (onAck = () => { if (++roundAcks === killAfterAcks) ok(); }));

      const pushImage = async (a: Attempt) => {
        const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] }, seed: `${SEED}/${a.repo}/${a.tag}` }));
        const configDigest = sha256(config);
        const c = await pushMonolithic(reg(), a.repo, config, configDigest);
        assert.equal(c.status, 201, `${where}: config of ${a.repo}:${a.tag}: ${c.body}`);
        a.stage = "layer";
        layersInFlight++;
        try {
          if (a.mode === "monolithic") {
            const r = await pushMonolithic(reg(), a.repo, a.layer, a.layerDigest);
            assert.equal(r.status, 201, `${where}: ${a.repo}:${a.tag} layer: ${r.body}`);
          } else {
            const s = await startSession(reg(), a.repo);
            assert.equal(s.status, 202, `${where}: session of ${a.repo}:${a.tag}: ${s.body}`);
            a.location = String(s.headers.location);
            let last: Buffer | undefined = a.layer;
            if (a.mode === "chunked") {
              const chunk = (1 + a.rng.int(2)) * (MIB / 2);
              for (let from = 0; from < a.layer.length && !killed; from += chunk) {
                const p = await patchChunk(reg(), a.location, from, a.layer.subarray(from, from + chunk));
                assert.equal(p.status, 202, `${where}: PATCH ${a.repo}:${a.tag} at ${from}: ${p.body}`);
              }
              last = undefined;
            }
            if (killed) return;
            const put = await closeSession(reg(), a.location, a.layerDigest, last);
            assert.equal(put.status, 201, `${where}: closing PUT ${a.repo}:${a.tag}: ${put.body}`);
          }
        } finally {
          layersInFlight--;
        }
        a.stage = "manifest";
        a.manifest = imageManifest({ digest: configDigest, size: config.length }, { digest: a.layerDigest, size: a.layer.length });
        const m = await putManifest(reg(), a.repo, a.tag, a.manifest);
        assert.equal(m.status, 201, `${where}: manifest ${a.repo}:${a.tag}: ${m.body}`);
        assert.equal(m.headers["docker-content-digest"], sha256(a.manifest), `${where}: ${a.repo}:${a.tag} acknowledged under its digest`);
        a.stage = "done";
        acked.push({ repo: a.repo, tag: a.tag, digest: String(m.headers["docker-content-digest"]), body: a.manifest, blobs: [{ digest: configDigest, size: config.length }, { digest: a.layerDigest, size: a.layer.length }] });
        onAck();
      };

      // A request the kill cut off rejects (reset, refused); an answer that is not the expected one fails the test.
      const failures: unknown[] = [];
      const workers = Array.from({ length: WORKERS }, async (_, w) => {
        for (let i = 0; i < IMAGES_PER_WORKER && !killed; i++) {
          const r = new Rng(seedOf(round, w + 1, i + 1));
          const size = (2 + r.int(3)) * MIB - r.int(4096);
          const layer = bytesFor(`${SEED}/${round}/${w}/${i}`, size);
          const mode = r.pick(["monolithic", "chunked", "session-put"] as const);
          const a: Attempt = { repo: `kill/w${w}`, tag: `r${round}-${i}`, mode, layer, layerDigest: sha256(layer), stage: "config", rng: r };
          attempts.push(a);
          try {
            await pushImage(a);
          } catch (e) {
            if (!killed || e instanceof assert.AssertionError) failures.push(e);
            return;
          }
        }
      });
      const allDone = Promise.all(workers);
      await Promise.race([enoughAcks, allDone]);
      await sleep(killDelayMs);
      const inFlight = layersInFlight;
      killed = true;
      await srv.kill();
      await allDone;
      if (failures.length) throw failures[0];
      assert.ok(inFlight > 0, `${where}: no layer upload was in flight at the kill`);

      await srv.restart();
      const cut = attempts.filter((a) => a.stage !== "done");
      console.log(`# round ${round}: killed ${killDelayMs} ms after acknowledged manifest #${killAfterAcks} (${roundAcks} in all), ${inFlight} layer uploads in flight, ${cut.length} pushes cut off`);

      // 1. Every acknowledged manifest, this round's and earlier ones, reads back byte for byte.
      for (const m of acked) {
        for (const ref of [m.tag, m.digest]) {
          const r = await reg().call("GET", `/v2/${m.repo}/manifests/${ref}`, { headers: { accept: OCI_MANIFEST } });
          assert.equal(r.status, 200, `${where}: ${m.repo}:${ref}: ${r.status} ${r.body}`);
          assert.ok(r.body.equals(m.body), `${where}: ${m.repo}:${ref} reads back byte for byte`);
          assert.equal(r.headers["docker-content-digest"], m.digest);
        }
        for (const b of m.blobs) {
          const thisRound = m.tag.startsWith(`r${round}-`);
          const r = await reg().call(thisRound ? "GET" : "HEAD", `/v2/${m.repo}/blobs/${b.digest}`);
          assert.equal(r.status, 200, `${where}: blob ${b.digest} of ${m.repo}:${m.tag}`);
          assert.equal(Number(r.headers["content-length"]), b.size);
          if (thisRound) assert.equal(sha256(r.body), b.digest, `${where}: blob bytes of ${m.repo}:${m.tag} match their digest`);
        }
      }

      // 2. A push the kill cut off left nothing half-written: its manifest and layer are absent or whole.
      for (const a of cut) {
        if (a.manifest) {
          const r = await reg().call("GET", `/v2/${a.repo}/manifests/${a.tag}`, { headers: { accept: OCI_MANIFEST } });
          if (r.status === 200) assert.ok(r.body.equals(a.manifest), `${where}: cut-off manifest ${a.repo}:${a.tag} is whole`);
          else assert.deepEqual([r.status, ociCode(r)], [404, "MANIFEST_UNKNOWN"], `${where}: ${a.repo}:${a.tag}`);
        }
        if (a.stage === "layer" && !a.location) {
          const r = await reg().call("GET", `/v2/${a.repo}/blobs/${a.layerDigest}`);
          if (r.status === 200) assert.equal(sha256(r.body), a.layerDigest, `${where}: cut-off layer of ${a.repo}:${a.tag}`);
          else assert.deepEqual([r.status, ociCode(r)], [404, "BLOB_UNKNOWN"], `${where}: ${a.repo}:${a.tag}`);
        }
      }

      // 3. Interrupted sessions: unknown, or a prefix of what was sent that resumes to the right digest
      //    (all at once, as 32 clients coming back would; the blob files are checked in step 4).
      let resumed = 0;
      await Promise.all(cut.filter((x) => x.stage === "layer" && x.location).map(async (a) => {
        const loc = a.location!;
        const s = await reg().call("GET", loc);
        if (s.status === 404) {
          assert.equal(ociCode(s), "BLOB_UPLOAD_UNKNOWN", `${where}: ${loc}`);
          return;
        }
        assert.equal(s.status, 204, `${where}: status of ${loc}: ${s.body}`);
        const id = loc.split("/").pop()!;
        // The bytes on disk are the prefix the client sent (Range: 0-<last byte>; "0-0" is 0 or 1 byte).
        const onDisk = await readFile(join(dataDir, "uploads", id));
        assert.equal(String(s.headers.range), `0-${Math.max(onDisk.length - 1, 0)}`, `${where}: ${loc} reports its size`);
        assert.ok(onDisk.equals(a.layer.subarray(0, onDisk.length)), `${where}: ${loc} holds a prefix of what was sent (${onDisk.length} of ${a.layer.length})`);
        if (a.rng.chance(0.5)) {
          dead.push({ id, location: loc, size: onDisk.length });
          return;
        }
        const from = onDisk.length;
        if (from < a.layer.length) {
          const p = await patchChunk(reg(), loc, from, a.layer.subarray(from));
          assert.equal(p.status, 202, `${where}: resuming ${loc} at ${from}: ${p.body}`);
        }
        const put = await closeSession(reg(), loc, a.layerDigest);
        assert.equal(put.status, 201, `${where}: resumed ${loc} commits to its digest: ${put.body}`);
        const head = await reg().call("HEAD", `/v2/${a.repo}/blobs/${a.layerDigest}`);
        assert.equal(head.status, 200, `${where}: resumed blob of ${a.repo}:${a.tag} is linked`);
        assert.equal(Number(head.headers["content-length"]), a.layer.length);
        resumed++;
      }));

      // 4. Every blob file in the store, acknowledged or not (the resumed ones too), holds exactly the bytes its name says.
      for (const f of await blobFiles(dataDir)) {
        if (hashed.has(f.hex)) continue;
        assert.equal(await sha256File(f.path), f.hex, `${where}: blob file ${f.path}`);
        hashed.add(f.hex);
      }

      // 5. Sessions left dead in earlier rounds are still there, at the size they had: restarts reclaim nothing.
      await Promise.all(dead.map(async (d) => {
        const s = await reg().call("GET", d.location);
        assert.equal(s.status, 204, `${where}: dead session ${d.location} outlives the restart: ${s.body}`);
        assert.equal(String(s.headers.range), `0-${Math.max(d.size - 1, 0)}`);
      }));
      console.log(`# round ${round}: ${acked.length} acknowledged manifests intact, ${hashed.size} blob files verified, ${resumed} sessions resumed, ${dead.length} left dead`);
    }

    // Every blob file once more, now that nothing writes: five crashes changed no committed byte.
    const blobsBefore = await blobFiles(dataDir);
    for (const f of blobsBefore) assert.equal(await sha256File(f.path), f.hex, `blob file ${f.path} after ${ROUNDS} rounds`);
    await srv.stop();

    // Reclaim on expiry: the sweep main.ts runs every 60 s, over this data dir, with its clock moved on.
    const uploadsLeft = (await readdir(join(dataDir, "uploads"))).sort();
    const { blobs, meta } = await openStores(dataDir);
    try {
      for (const d of dead) {
        assert.ok(uploadsLeft.includes(d.id), `dead session ${d.id} still has its file before it expires`);
        const rec = await meta.getUpload(d.id);
        assert.ok(rec, `dead session ${d.id} has its record`);
        assert.equal(rec.expiresAt - Date.parse(rec.createdAt), TTL_MINUTES * 60_000, "the session expires uploadTtlMinutes after it started");
      }
      // Files of no session the client knows: a cut-off monolithic POST's (no record), or a session whose
      // 202 the kill swallowed; and records whose file is gone (a commit cut off before its record went).
      const orphans = uploadsLeft.filter((id) => !dead.some((d) => d.id === id));
      const records = await meta.listExpiredUploads(Number.MAX_SAFE_INTEGER);
      const expected = new Set([...uploadsLeft, ...records.map((r) => r.id)]).size;
      const plane = createDataPlane({ meta, blobs, auth: allowAllAuth(), log: pino({ level: "silent" }), uploadTtlMs: TTL_MINUTES * 60_000 });
      assert.equal(await plane.sweep(Date.now()), 0, "nothing is reclaimed before it expires");
      assert.deepEqual((await readdir(join(dataDir, "uploads"))).sort(), uploadsLeft);
      const reclaimed = await plane.sweep(Date.now() + (TTL_MINUTES + 1) * 60_000);
      assert.equal(reclaimed, expected, `every dead session, orphan file and record is reclaimed once expired (${dead.length} sessions, ${orphans.length} other files, ${records.length} records)`);
      assert.deepEqual(await readdir(join(dataDir, "uploads")), [], "no upload file is left");
      assert.deepEqual(await meta.listExpiredUploads(Number.MAX_SAFE_INTEGER), [], "no upload record is left");
      assert.deepEqual(await blobFiles(dataDir), blobsBefore, "the sweep removed no committed blob");
      console.log(`# reclaim: ${dead.length} dead sessions, ${orphans.length} other upload files and ${records.length} records in all reclaimed on expiry; ${blobsBefore.length} blob files kept`);
    } finally {
      await blobs.close();
      await meta.close();
    }

    // What a client sees afterwards: the dead sessions are unknown, every acknowledged image is still there.
    await srv.restart();
    for (const d of dead) {
      const s = await reg().call("GET", d.location);
      assert.deepEqual([s.status, ociCode(s)], [404, "BLOB_UPLOAD_UNKNOWN"], `reclaimed session ${d.location}`);
    }
    for (const m of acked) {
      const r = await reg().call("GET", `/v2/${m.repo}/manifests/${m.tag}`, { headers: { accept: OCI_MANIFEST } });
      assert.ok(r.status === 200 && r.body.equals(m.body), `${m.repo}:${m.tag} after the reclaim`);
    }
    console.log(`# kill-during-pushes: ${ROUNDS} rounds, ${acked.length} acknowledged manifests, ${dead.length} dead sessions, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (e) {
    if (fs) console.log(`# cove serve output (tail):\n${fs.server.output().slice(-3000)}`);
    throw e;
  } finally {
    await fs?.kill();
    await rm(dataDir, { recursive: true, force: true });
  }
});
