// Bad input to the lab gets a clear, catalogued error and leaves nothing half-made: a hosts file
// naming an unknown subnet, an address outside its subnet or reserved in it, two hosts with one
// address, a malformed file, `lab up` twice, `lab exec` on an unknown host, the lab without root, and
// an interrupted `lab up` (server killed mid-way), after which `cove lab down` still removes everything.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { runCove } from "../cli/real-cli.js";
import { labLeftovers } from "../../src/lab/core.js";
import { buildLandingZone, isRoot, startLab, type TestLab } from "./support.js";

const run = promisify(execFile);
let lab: TestLab;

before(async () => {
  assert.ok(isRoot(), "the lab tests run as root (CI does)");
  lab = await startLab();
  await buildLandingZone(lab);
});

after(async () => {
  assert.deepEqual(await lab?.stop(), []);
});

const namespaces = async () => (await run("ip", ["netns", "list"])).stdout.split("\n").map((l) => l.split(" ")[0]).filter((n) => n?.startsWith("cove-")).sort();

async function upFails(hosts: unknown, code: string, message: RegExp): Promise<void> {
  const file = join(lab.dataDir, "..", `bad-${code}-${Date.now()}.json`);
  await writeFile(file, typeof hosts === "string" ? hosts : JSON.stringify(hosts));
  const r = await lab.run("lab", "up", "--hosts", file);
  assert.equal(r.code, 1, `${r.code} ${r.stdout} ${r.stderr}`);
  assert.match(r.stderr, new RegExp(code));
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  assert.deepEqual(await namespaces(), ["cove-lab"], "nothing half-made");
}

test("a hosts file naming an unknown subnet", async () => {
  await upFails([{ name: "a", subnet: "spoke/apps" }, { name: "b", subnet: "nowhere/s1" }], "UnknownSubnet", /No subnet 'nowhere\/s1'/);
  await upFails([{ name: "b", subnet: "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s" }], "UnknownSubnet", /No subnet/);
});

test("an address outside the subnet, and one Azure reserves", async () => {
  await upFails([{ name: "a", subnet: "spoke/apps", address: "198.18.1.9" }], "AddressOutsideSubnet", /198\.18\.1\.9 is outside its subnet's prefix 198\.18\.17\.0\/24/);
  await upFails([{ name: "a", subnet: "spoke/apps", address: "198.18.17.1" }], "AddressReserved", /reserved/);
  await upFails([{ name: "a", subnet: "internet", address: "198.18.17.20" }], "AddressOutsideSubnet", /on the internet/);
});

test("two hosts with one address, and a host on an endpoint's IP", async () => {
  await upFails([{ name: "a", subnet: "spoke/apps", address: "198.18.17.20" }, { name: "b", subnet: "spoke/apps", address: "198.18.17.20" }], "DuplicateAddress", /'a' and 'b' both have the address 198\.18\.17\.20/);
  const pe = (await lab.json("lab", "status")).listeners[0].ipAddress;
  await upFails([{ name: "a", subnet: "hub/endpoints", address: pe }], "AddressReserved", /private endpoint's IP/);
});

test("malformed hosts files are refused before anything is sent", async () => {
  await upFails("- name: [", "InvalidHostsFile", /not valid YAML or JSON/);
  await upFails({ name: "a" }, "InvalidHostsFile", /must be a list/);
  await upFails([{ name: "Bad_Name", subnet: "spoke/apps" }], "InvalidHostsFile", /name "Bad_Name"/);
  await upFails([{ name: "a", subnet: "spoke/apps", port: 1 }], "InvalidHostsFile", /unknown key 'port'/);
  await upFails([{ name: "a", subnet: "spoke/apps" }, { name: "a", subnet: "spoke/apps" }], "DuplicateHost", /Two hosts are named 'a'/);
  await upFails([{ name: "internet", subnet: "spoke/apps" }], "InvalidHostsFile", /the lab's own/);
});

test("lab up twice is refused and changes nothing; lab exec on an unknown host exits 3", async () => {
  await lab.up([{ name: "a", subnet: "spoke/apps" }]);
  const file = join(lab.dataDir, "..", "twice.json");
  await writeFile(file, JSON.stringify([{ name: "b", subnet: "spoke/apps" }]));
  const r = await lab.run("lab", "up", "--hosts", file);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /LabAlreadyUp/);
  assert.deepEqual(await namespaces(), ["cove-a", "cove-internet", "cove-lab"]);
  const x = await lab.exec("nobody", ["true"]);
  assert.equal(x.code, 3, x.stderr);
  assert.match(x.stderr, /There is no lab host 'nobody'/);
  const ok = await lab.exec("a", ["sh", "-c", "exit 7"]);
  assert.equal(ok.code, 7, "lab exec passes the command's exit code through");
  await lab.ok("lab", "down", "-o", "none");
});

test("without root: lab up, exec, down and serve --lab say so and do nothing", async () => {
  for (const args of [["lab", "up"], ["lab", "down"], ["lab", "exec", "a", "--", "true"], ["serve", "--lab", "--data-dir", join(lab.dataDir, "..", "x")]]) {
    const r = await new Promise<{ code: number; stderr: string }>((done) =>
      execFile("unshare", ["--user", process.execPath, "bin/cove.js", ...args], { env: lab.env, timeout: 30_000 }, (err, _o, stderr) =>
        done({ code: err ? Number((err as { code?: unknown }).code ?? -1) : 0, stderr })));
    assert.equal(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, /needs root/);
  }
  assert.deepEqual(await namespaces(), ["cove-lab"]);
});

test("an interrupted lab up (server killed mid-way): lab down still removes everything", async () => {
  const hosts = Array.from({ length: 12 }, (_, i) => ({ name: `h${i}`, subnet: i % 2 ? "spoke/apps" : "hub/endpoints" }));
  const file = join(lab.dataDir, "..", "many.json");
  await writeFile(file, JSON.stringify(hosts));
  const up = lab.run("lab", "up", "--hosts", file);
  // Kill once the first host namespaces exist, before the last.
  const deadline = Date.now() + 20_000;
  while ((await namespaces()).length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await lab.crash();
  const r = await up;
  assert.notEqual(r.code, 0, "the interrupted lab up fails");
  assert.ok((await labLeftovers()).length > 0, "the crash left a half-made lab to remove");
  const down = await runCove(["lab", "down", "-o", "json"], lab.env, 60_000);
  assert.equal(down.code, 0, down.stderr);
  assert.ok(JSON.parse(down.stdout).removed.includes("cove-lab"));
  assert.deepEqual(await labLeftovers(), []);
  const again = await runCove(["lab", "down", "-o", "json"], lab.env, 60_000);
  assert.equal(again.code, 0, "lab down twice is fine");
  assert.deepEqual(JSON.parse(again.stdout).removed, []);
});
