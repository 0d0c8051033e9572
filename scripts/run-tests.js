// Runs every compiled test (dist/**/*.test.js) with Node's own test runner, whose closing
// summary CI reads. Files run one at a time in each of two lanes: the end-to-end tests start
// servers and real clients and this machine has two cores. The lab lane (test/lab/, test/az/, and the browser tests of test/web/) runs
// beside the main one: its files spend most of their time waiting on namespaces, timeouts that are
// the point of the test, and az's Python start, all inside network namespaces of their own, and they
// take turns among themselves through the lab's lock. Its report is printed after the main lane's,
// then a quiet phase runs the page's render budget alone (see QUIET), and one summary sums them all; the exit code is non-zero when any of them failed. The runner is the project's Node.js (scripts/project-node.js)
// even when an older `node` started this script, so `node scripts/run-tests.js` on a machine whose
// own node is older tests what `npm test` tests.
import { closeSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { projectNode, runningTooOld } from "./project-node.js";

function find(dir, out = []) {
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) find(p, out);
    else if (name.endsWith(".test.js")) out.push(p);
  }
  return out;
}

const only = process.argv.slice(2);
let files = [...find("dist/src"), ...find("dist/test")].sort();
if (only.length) files = files.filter((f) => only.some((o) => f.includes(o)));
if (files.length === 0) {
  console.error("no test files found under dist/: did the build run?");
  process.exit(1);
}
const root = dirname(dirname(fileURLToPath(import.meta.url)));
let runtime = process.execPath;
if (runningTooOld(root)) {
  runtime = projectNode(root);
  if (runtime === undefined) {
    console.error(`Node.js ${process.version} is older than the project needs and the project's Node.js is not installed: run \`npm install\``);
    process.exit(1);
  }
}
// The browser tests (test/web/) join it: Chromium waits on the page more than it computes, and the
// main lane is the longer one. So do the scale-out tests (test/e2e/scale-out-*): their three nodes mostly
// wait on PostgreSQL and Azurite, and on outages that last as long as the test says.
// The image test (test/image/) too: buildah and skopeo spend its time copying and compressing files.
// And the PostgreSQL and Azure Blob tests (test/e2e/postgres-*, azure-blob-*, test/conformance/pg-*, azure-*):
// they wait on the database and the emulator, and on the outages they stage; with them the two lanes
// end within about a minute of each other (main 1493 s and lab 1200 s in a CI run before they moved).
// The policy case study (test/policy/case-study) too: 60 of its 62 s wait for an exemption to expire
// (main 1573 s and lab 1320 s in a CI run before it moved).
const LAB_LANE = /dist\/test\/(lab|az|web|image)\/|dist\/test\/e2e\/(scale-out-|azure-blob-|postgres-|geo-replication-azure)|dist\/test\/conformance\/(pg-|azure-)|dist\/test\/policy\/case-study\.test\.js$/;
// The page's render budget (test/web/budget.test.ts) is a wall-clock figure a user reads on a machine
// that is doing nothing else: beside the main lane it shared two cores with a Cove, a PostgreSQL or a
// fuzzer, and one CI run measured 1038 ms where a quiet machine measures about 500. It runs by itself
// after both lanes, so it still fails when the page is slow, but not when the tests around it are busy.
const QUIET = /dist\/test\/web\/budget\.test\.js$/;
const quiet = files.filter((f) => QUIET.test(f));
const rest = files.filter((f) => !QUIET.test(f));
const lab = rest.filter((f) => LAB_LANE.test(f));
const main = rest.filter((f) => !LAB_LANE.test(f));
const args = ["--test", "--test-concurrency=1", "--test-reporter=spec"];
if (lab.length === 0 || main.length === 0) {
  const r = spawnSync(runtime, [...args, ...files], { stdio: "inherit" });
  process.exit(r.status ?? 1);
}
const started = Date.now();
const logDir = mkdtempSync(join(tmpdir(), "cove-lab-lane-"));
const labLog = join(logDir, "lab-lane.log");
const out = openSync(labLog, "w");
const labLane = spawn(runtime, [...args, ...lab], { stdio: ["ignore", out, out] });
const labDone = new Promise((done) => labLane.once("exit", (code, sig) => done(code ?? (sig ? 1 : 1))));
// The main lane is shown as it runs; its summary is kept to add to the lab lane's.
let mainTail = "";
const mainCode = await new Promise((done) => {
  const m = spawn(runtime, [...args, ...main], { stdio: ["ignore", "pipe", "inherit"] });
  m.stdout.on("data", (d) => { process.stdout.write(d); mainTail = (mainTail + d.toString()).slice(-4096); });
  m.once("close", (code) => done(code ?? 1));
});
const labCode = await labDone;
closeSync(out);
const text = readFileSync(labLog, "utf8");
process.stdout.write(`\n# lab lane (${lab.length} files, ran beside the main lane)\n`);
process.stdout.write(text);
rmSync(logDir, { recursive: true, force: true });
let quietTail = "";
let quietCode = 0;
if (quiet.length > 0) {
  process.stdout.write(`\n# quiet phase (${quiet.length} file, after both lanes)\n`);
  const q = spawnSync(runtime, [...args, ...quiet], { stdio: ["ignore", "pipe", "inherit"], maxBuffer: 64 * 1024 * 1024 });
  quietTail = q.stdout?.toString() ?? "";
  process.stdout.write(quietTail);
  quietCode = q.status ?? 1;
}
// One closing summary for every lane, in the runner's own format, last: what CI reads.
const count = (lane, what) => Number((new RegExp(`^ℹ ${what} (\\d+)`, "m").exec(lane) ?? [0, 0])[1]);
process.stdout.write(`\n# all lanes (main exit ${mainCode}, lab exit ${labCode}, quiet exit ${quietCode})\n`);
for (const what of ["tests", "suites", "pass", "fail", "cancelled", "skipped", "todo"]) {
  process.stdout.write(`ℹ ${what} ${count(mainTail, what) + count(text, what) + count(quietTail, what)}\n`);
}
process.stdout.write(`ℹ duration_ms ${Date.now() - started}\n`);
process.exit(mainCode !== 0 ? mainCode : labCode !== 0 ? labCode : quietCode);
