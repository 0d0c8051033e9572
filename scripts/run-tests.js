// Runs every compiled test (dist/**/*.test.js) with Node's own test runner, whose closing
// summary CI reads. Files run one at a time in each of three lanes that run side by side (see
// `lanes`): the end-to-end tests start servers and real clients, this machine has two cores, and most
// files spend much of their time waiting (on namespaces, on timeouts that are the point of the test,
// on az's Python start), so a CI run measured the whole suite at 129 % of two cores with two lanes.
// The first lane is shown as it runs; the others' reports follow it. Then a quiet phase runs the
// tests that judge a time, alone (see QUIET), and one summary sums them all; the exit code is non-zero
// when any of them failed. The runner is the project's Node.js (scripts/project-node.js)
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
// Three lanes, balanced on the files' wall times (a fresh-clone CI run here: main 746 s, lab 861 s,
// toolkit 928 s, then 106 s of quiet phase; 19:56 in all, where two lanes took 35:51). The lab lane (test/lab/, test/az/): its files run clients inside network
// namespaces and take turns among themselves through the lab's lock. The toolkit lane: test/toolkit/
// (the operator's commands, each a real `cove` process), the browser tests of test/web/ (Chromium
// waits on the page more than it computes), the image test (buildah and skopeo copying files), the
// scale-out, PostgreSQL and Azure Blob tests (three nodes waiting on PostgreSQL and Azurite, and on
// outages that last as long as the test says), and the policy case study (60 of its 62 s wait for an
// exemption to expire). Every other file is in the main lane.
const LAB_LANE = /dist\/test\/(lab|az)\//;
const TOOLKIT_LANE = /dist\/test\/(toolkit|web|image)\/|dist\/test\/e2e\/(scale-out-|azure-blob-|postgres-|geo-replication-azure)|dist\/test\/conformance\/(pg-|azure-)|dist\/test\/policy\/case-study\.test\.js$/;
// The quiet phase runs by itself after the lanes, for tests whose verdict is a time on a machine that
// is doing nothing else. The page's render budget (test/web/budget.test.ts): beside the main lane it
// shared two cores with a Cove, a PostgreSQL or a fuzzer, and one CI run measured 1038 ms where a
// quiet machine measures about 500. The fault suites (test/faults/: a flood of 100,000 requests
// within a minute, kill -9 rounds, 10,000 idle connections, slowloris bounds) and the login timing
// test (test/auth/brute-force.test.ts: a real appId, an unknown one and the admin user must fail in
// the same time): beside two other lanes, one run here failed the flood and measured the real appId
// at 9.95 ms against 4.60, where they pass alone. They still fail when Cove is slow or leaks time,
// but not when the tests around them are busy.
const QUIET = /dist\/test\/web\/budget\.test\.js$|dist\/test\/faults\/|dist\/test\/auth\/brute-force\.test\.js$/;
const quiet = files.filter((f) => QUIET.test(f));
const rest = files.filter((f) => !QUIET.test(f));
const lanes = [
  { name: "main", files: rest.filter((f) => !LAB_LANE.test(f) && !TOOLKIT_LANE.test(f)) },
  { name: "lab", files: rest.filter((f) => LAB_LANE.test(f)) },
  { name: "toolkit", files: rest.filter((f) => TOOLKIT_LANE.test(f)) },
].filter((l) => l.files.length > 0);
// A test that hangs fails after 15 minutes with its name, instead of holding its lane until CI's own
// limit ends the run with nothing said (the slowest test takes about 2.5 minutes here). Tests that
// set their own timeout keep it.
const args = ["--test", "--test-concurrency=1", "--test-reporter=spec", "--test-timeout=900000"];
if (lanes.length + (quiet.length > 0 ? 1 : 0) <= 1) {
  const r = spawnSync(runtime, [...args, ...files], { stdio: "inherit" });
  process.exit(r.status ?? 1);
}
const started = Date.now();
const logDir = mkdtempSync(join(tmpdir(), "cove-test-lanes-"));
// Every lane after the first writes to a file, shown once the first lane has finished.
const background = lanes.slice(1).map((lane) => {
  const log = join(logDir, `${lane.name}-lane.log`);
  const out = openSync(log, "w");
  const child = spawn(runtime, [...args, ...lane.files], { stdio: ["ignore", out, out] });
  const done = new Promise((ok) => child.once("exit", (code) => { closeSync(out); ok(code ?? 1); }));
  return { lane, log, done };
});
// The first lane is shown as it runs; its summary is kept to add to the others'.
const first = lanes[0] ?? { name: "main", files: [] };
const firstOut = [];
const firstCode = first.files.length === 0 ? 0 : await new Promise((done) => {
  const m = spawn(runtime, [...args, ...first.files], { stdio: ["ignore", "pipe", "inherit"] });
  m.stdout.on("data", (d) => { process.stdout.write(d); firstOut.push(d); });
  m.once("close", (code) => done(code ?? 1));
});
const results = [{ name: first.name, code: firstCode, text: Buffer.concat(firstOut).toString() }];
for (const b of background) {
  const code = await b.done;
  const text = readFileSync(b.log, "utf8");
  process.stdout.write(`\n# ${b.lane.name} lane (${b.lane.files.length} files, ran beside the ${first.name} lane)\n`);
  process.stdout.write(text);
  results.push({ name: b.lane.name, code, text });
}
rmSync(logDir, { recursive: true, force: true });
if (quiet.length > 0) {
  process.stdout.write(`\n# quiet phase (${quiet.length} files, after the lanes)\n`);
  const q = spawnSync(runtime, [...args, ...quiet], { stdio: ["ignore", "pipe", "inherit"], maxBuffer: 64 * 1024 * 1024 });
  const text = q.stdout?.toString() ?? "";
  process.stdout.write(text);
  results.push({ name: "quiet", code: q.status ?? 1, text });
}
// Each lane's failures again, just above the summary: the first lane's report scrolls away under the
// others', and a CI excerpt of the output's end named a failing test of the main lane without its
// assertion. The runner's own "failing tests" section, up to 80 lines a lane.
for (const r of results) {
  const at = r.text.lastIndexOf("\u2716 failing tests:");
  if (at < 0) continue;
  const lines = r.text.slice(at).split("\n");
  const shown = lines.slice(0, 80).join("\n").trimEnd();
  process.stdout.write(`\n# ${r.name}: failing tests again\n${shown}\n${lines.length > 80 ? `# (${lines.length - 80} more lines in the ${r.name} lane's report above)\n` : ""}`);
}
// One closing summary for every lane, in the runner's own format, last: what CI reads.
const count = (text, what) => Number((new RegExp(`^ℹ ${what} (\\d+)`, "m").exec(text) ?? [0, 0])[1]);
process.stdout.write(`\n# all lanes (${results.map((r) => `${r.name} exit ${r.code}`).join(", ")})\n`);
for (const what of ["tests", "suites", "pass", "fail", "cancelled", "skipped", "todo"]) {
  process.stdout.write(`ℹ ${what} ${results.reduce((n, r) => n + count(r.text, what), 0)}\n`);
}
process.stdout.write(`ℹ duration_ms ${Date.now() - started}\n`);
process.exit(results.find((r) => r.code !== 0)?.code ?? 0);
