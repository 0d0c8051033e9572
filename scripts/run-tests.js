// Runs every compiled test (dist/**/*.test.js) with Node's own test runner, whose closing
// summary CI reads. Files run one at a time: the end-to-end tests start servers and real clients
// and this machine has two cores. The runner is the project's Node.js (scripts/project-node.js)
// even when an older `node` started this script, so `node scripts/run-tests.js` on a machine whose
// own node is older tests what `npm test` tests.
import { readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { spawnSync } from "node:child_process";
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
const r = spawnSync(runtime, ["--test", "--test-concurrency=1", "--test-reporter=spec", ...files], { stdio: "inherit" });
process.exit(r.status ?? 1);
