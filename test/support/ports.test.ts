// test/support/ports.ts: the ports the tests' servers bind. Test processes run in parallel, so two of
// them must never be handed one port, and no port may come from the range outgoing connections use.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { claimsDir, freePort } from "./ports.js";

const exec = promisify(execFile);
const ports = new URL("./ports.js", import.meta.url).href;
const ephemeralStart = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);

test("ports come from below the ephemeral range, free to bind, and are claimed until the process exits", async () => {
  const port = await freePort();
  assert.ok(port >= 20_000 && port < ephemeralStart, `port ${port}, ephemeral range from ${ephemeralStart}`);
  assert.equal(readFileSync(join(claimsDir, String(port)), "utf8"), String(process.pid));
  await new Promise<void>((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(port, "127.0.0.1", () => s.close(() => ok()));
  });
});

test("four processes taking 300 ports each at once are never handed the same port, and leave no claim behind", async () => {
  // Each child holds its ports (stays alive) until all four have picked theirs: a released port may be handed out again.
  const script = `const { freePort } = await import(${JSON.stringify(ports)}); const out = [];
    for (let i = 0; i < 300; i++) out.push(await freePort()); console.log(JSON.stringify({ pid: process.pid, out }));
    process.stdin.resume(); process.stdin.on("end", () => process.exit(0));`;
  const children = Array.from({ length: 4 }, () => spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["pipe", "pipe", "inherit"] }));
  const got = await Promise.all(children.map((c) => new Promise<{ pid: number; out: number[] }>((ok, fail) => {
    let text = "";
    c.stdout!.on("data", (d: Buffer) => { text += d; if (text.includes("\n")) ok(JSON.parse(text)); });
    c.once("exit", (code) => fail(new Error(`a child exited with ${code} before it printed its ports`)));
  })));
  const exited = children.map((c) => new Promise((ok) => c.once("exit", ok)));
  for (const c of children) c.stdin!.end();
  await Promise.all(exited);
  const all = got.flatMap((g) => g.out);
  assert.equal(all.length, 1200);
  const seen = new Map<number, number>();
  for (const p of all) seen.set(p, (seen.get(p) ?? 0) + 1);
  const twice = [...seen].filter(([, n]) => n > 1).map(([p]) => p);
  assert.deepEqual(twice, [], "ports handed to more than one process");
  // Another test process may claim a released port again at once: only the children's own claims count.
  const left = got.flatMap((g) => g.out.filter((p) => {
    try { return readFileSync(join(claimsDir, String(p)), "utf8") === String(g.pid); } catch { return false; }
  }));
  assert.deepEqual(left, [], "claims still there after their processes exited");
});

test("a claim whose process is gone is taken over only once it is 10 minutes old; a live one never", async () => {
  mkdirSync(claimsDir, { recursive: true, mode: 0o700 });
  // One more than the largest pid the kernel hands out: no process holds it.
  const deadPid = Number(readFileSync("/proc/sys/kernel/pid_max", "utf8")) + 1;
  // Three ports in the band freePort uses, claimed here by hand (exclusively: a test process may hold some).
  const picks: number[] = [];
  const plan = [[deadPid, 1], [deadPid, 11], [process.pid, 60]] as const;
  for (let p = 20_000; picks.length < plan.length && p < 20_500; p++) {
    const f = join(claimsDir, String(p));
    const [pid, ageMin] = plan[picks.length]!;
    try { writeFileSync(f, String(pid), { flag: "wx" }); } catch { continue; }
    const t = (Date.now() - ageMin * 60_000) / 1000;
    utimesSync(f, t, t);
    picks.push(p);
  }
  const [fresh, old, live] = picks as [number, number, number];
  try {
    const script = `const { claimPort } = await import(${JSON.stringify(ports)});
      console.log(JSON.stringify([${fresh}, ${old}, ${live}].map(claimPort)));`;
    const r = await exec(process.execPath, ["--input-type=module", "-e", script]);
    assert.deepEqual(JSON.parse(r.stdout), [false, true, false], `claims of ports ${fresh} (dead, 1 min), ${old} (dead, 11 min), ${live} (this process, 60 min)`);
  } finally {
    for (const p of [fresh, old, live]) {
      const f = join(claimsDir, String(p));
      try { if ([String(deadPid), String(process.pid)].includes(readFileSync(f, "utf8"))) unlinkSync(f); } catch { /* released */ }
    }
  }
});
