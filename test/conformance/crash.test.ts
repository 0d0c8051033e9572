// kill -9 during concurrent uploads (issue 2 acceptance): a child process pushes blobs from 8
// workers through openStores(); we SIGKILL it mid-flight, reopen the data dir and check that
// every blob and manifest it reported is intact, that no blob file anywhere mismatches its name,
// and that every upload left behind resumes at the size it reports and commits to the right digest.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { it } from "node:test";
import { fileURLToPath } from "node:url";
import { openStores } from "../../src/storage/open.js";
import { collect, digestOf, streamOf } from "./helpers.js";
import { CRASH_REGISTRY, crashContentFor } from "./fixtures/crash-plan.js";

const CHILD = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "crash-child.js");

interface ChildReport {
  blobs: string[];
  manifests: { repository: string; tag: string; digest: string }[];
  exit: { code: number | null; signal: NodeJS.Signals | null };
}

/** Runs the child until ~300 ms after it is ready (and it has committed something), then SIGKILLs it. */
function runAndKill(dataDir: string): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dataDir], { stdio: ["ignore", "pipe", "pipe"] });
    const report: ChildReport = { blobs: [], manifests: [], exit: { code: null, signal: null } };
    let stderr = "";
    let readyAt = 0;
    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    };
    // Hard bound: whatever happens, the child does not outlive 12 s.
    const guard = setTimeout(kill, 12_000);
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      const [kind, a, b, c] = line.split(" ");
      if (kind === "ready") readyAt = Date.now();
      if (kind === "blob") report.blobs.push(a);
      if (kind === "manifest") report.manifests.push({ repository: a, tag: b, digest: c });
      if (readyAt && Date.now() - readyAt >= 300 && report.blobs.length > 0) kill();
    });
    const tick = setInterval(() => {
      if (readyAt && Date.now() - readyAt >= 300 && report.blobs.length > 0) kill();
    }, 20);
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(guard);
      clearInterval(tick);
      report.exit = { code, signal };
      if (signal !== "SIGKILL") reject(new Error(`crash child ended on its own (code ${code}): ${stderr}`));
      else resolve(report);
    });
  });
}

async function sha256OfFile(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const c of createReadStream(path)) h.update(c);
  return h.digest("hex");
}

it("survives kill -9 during 8 concurrent uploads: committed data intact, interrupted uploads resumable", { timeout: 20_000 }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "cove-crash-"));
  try {
    const report = await runAndKill(dataDir);
    assert.ok(report.blobs.length > 0, "the child committed blobs before it was killed");

    const { blobs, meta } = await openStores(dataDir);
    try {
      for (const digest of report.blobs) {
        assert.ok(await blobs.stat(digest), `reported blob ${digest} is present`);
        assert.equal(digestOf(await collect(await blobs.read(digest))), digest);
      }
      // No blob file anywhere, reported or not, holds bytes other than its name says.
      const root = join(dataDir, "blobs", "sha256");
      let files = 0;
      for (const prefix of await readdir(root)) {
        for (const hex of await readdir(join(root, prefix))) {
          assert.equal(await sha256OfFile(join(root, prefix, hex)), hex, `blob file ${hex}`);
          assert.equal(hex.slice(0, 2), prefix);
          files++;
        }
      }
      assert.ok(files >= report.blobs.length);

      for (const m of report.manifests) {
        const got = await meta.getManifest(CRASH_REGISTRY, m.repository, m.digest);
        assert.ok(got, `manifest ${m.repository}@${m.digest}`);
        assert.equal(digestOf(Buffer.from(got.body)), m.digest);
        assert.equal((await meta.getTag(CRASH_REGISTRY, m.repository, m.tag))?.digest, m.digest);
        assert.ok(await blobs.stat(got.blobRefs[0]), "the manifest's blob is present");
      }

      // Every interrupted upload reports a size it really holds: finishing from there must give
      // exactly the intended bytes.
      const left = await blobs.listStaleUploads(Number.MAX_SAFE_INTEGER);
      for (const id of left) {
        const content = crashContentFor(id);
        const size = await blobs.uploadSize(id);
        assert.ok(size !== undefined && size <= content.length, `upload ${id} size ${size} of ${content.length}`);
        assert.equal(await blobs.appendUpload(id, size, streamOf(content.subarray(size))), content.length);
        const digest = digestOf(content);
        await blobs.commitUpload(id, digest);
        assert.equal(digestOf(await collect(await blobs.read(digest))), digest);
      }
      process.stdout.write(`# crash: ${report.blobs.length} blobs and ${report.manifests.length} manifests committed, ${left.length} uploads resumed\n`);
    } finally {
      await blobs.close();
      await meta.close();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
