// Issue 7 item 10: a path no route takes on the management listener (POST /, typos, the Microsoft
// Graph paths az calls when its cloud's graph endpoint is Cove) is the client's mistake: 404 with the
// catalogued NotFound body, with or without a token, logged at info and never as an error stack.
// Real `cove serve` (its log captured), real curl over real HTTPS.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, spawnCove, type SpawnedCove, type TestCove } from "../support/cove.js";
import { managementToken } from "../support/arm.js";
import { ARM_ERRORS } from "../../src/control-plane/arm/errors.js";

let work: string;
let cove: SpawnedCove;
let url: string;
let caFile: string;
let token: string;

// What az 2.45 sends to its graph endpoint for old profiles (AAD Graph 1.6). Microsoft Graph v1.0
// paths are Cove's Graph subset now, answered in Graph's shape (test/identity/graph-*.test.ts).
const GRAPH = [
  ["GET", "/me?api-version=1.6"],
  ["GET", "/00000000-0000-0000-0000-000000000002/servicePrincipals?api-version=1.6"],
] as const;

// GET / is the networking page now (test/web/); POST / is still nobody's.
const OTHER = [
  ["GET", "/index.htm"],
  ["GET", "/foo/bar"],
  ["GET", "/favicon.ico"],
  ["HEAD", "/foo"],
  ["POST", "/"],
  ["PUT", "/foo/bar"],
  ["DELETE", "/foo/bar"],
  ["PATCH", "/cove/nothing-here"],
] as const;

function curl(method: string, path: string, headers: string[]): Promise<{ status: number; body: string; stderr: string }> {
  const args = ["-sS", "--max-time", "10", "--cacert", caFile, "-X", method, "-o", "-", "-w", "\n%{http_code}", "-g"];
  if (method === "HEAD") args.splice(args.indexOf("-X"), 2, "-I");
  for (const h of headers) args.push("-H", h);
  if (method === "POST" || method === "PUT" || method === "PATCH") args.push("-H", "content-type: application/json", "--data-binary", '{"displayName":"x"}');
  args.push(url + path);
  return new Promise((ok, fail) => {
    const c = spawn("curl", args);
    let out = "";
    let stderr = "";
    c.stdout.on("data", (d) => (out += d));
    c.stderr.on("data", (d) => (stderr += d));
    c.on("error", fail);
    c.on("close", () => {
      const nl = out.lastIndexOf("\n");
      ok({ status: Number(out.slice(nl + 1)), body: out.slice(0, nl), stderr });
    });
  });
}

function expectedBody(path: string): object {
  // The path as sent (percent escapes kept), without the query.
  return { error: { code: "NotFound", message: ARM_ERRORS.NotFound.message.replace("{path}", path.split("?")[0]!) } };
}

function logLines(): Array<Record<string, unknown>> {
  return cove.output().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), "cove-paths-"));
  const mport = await freePort();
  cove = await spawnCove(join(work, "data"), mport, await freePort(), { COVE_LOG_LEVEL: "info" }, true);
  url = `https://127.0.0.1:${mport}`;
  caFile = cove.credentials.caCertPath;
  const ca = await readFile(caFile, "utf8");
  token = await managementToken({ credentials: cove.credentials, ca, managementUrl: url } as TestCove);
});

after(async () => {
  cove?.child.kill("SIGTERM");
  await cove?.waitExit();
  await rm(work, { recursive: true, force: true });
});

for (const [label, auth] of [["without a token", []], ["with a valid token", ["x"]], ["with a garbage token", ["Authorization: Bearer not-a-token"]]] as const) {
  test(`unknown paths and az's Graph paths answer 404 NotFound ${label}`, async () => {
    const headers = auth[0] === "x" ? [`Authorization: Bearer ${token}`] : [...auth];
    for (const [method, path] of [...OTHER, ...GRAPH]) {
      const r = await curl(method, path, headers);
      assert.equal(r.status, 404, `${method} ${path}: ${r.body} ${r.stderr}`);
      if (method === "HEAD") continue;
      assert.deepEqual(JSON.parse(r.body), expectedBody(path), `${method} ${path}`);
    }
  });
}

test("the server logs each unknown path at info and no error line at all", async () => {
  await sleep(200); // the child's stdout pipe
  const lines = logLines();
  const errors = lines.filter((l) => Number(l.level) >= 50);
  assert.deepEqual(errors, [], "no error-level log line");
  const notFound = lines.filter((l) => l.msg === "management path not found");
  assert.equal(notFound.length, 3 * (OTHER.length + GRAPH.length));
  assert.ok(notFound.every((l) => l.level === 30), "logged at info");
  assert.ok(notFound.some((l) => l.path === "/me" && l.method === "GET"));
  assert.ok(!lines.some((l) => typeof l.stack === "string"), "no stack in the log");
  // The ARM surface's own 404 for an unknown ARM path is unchanged (catalogued, not a stack either).
  const arm = await curl("GET", "/subscriptions/nope/resourceGroups?api-version=2021-04-01", [`Authorization: Bearer ${token}`]);
  assert.equal(arm.status, 404, arm.body);
});
