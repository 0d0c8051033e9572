// `npm run demo` (issue 4): the landing-zone walk-through runs without root on loopback addresses and
// shows every failure mode with its fix. The demo itself exits non-zero when any step does not
// behave as it says, so this test fails whenever the story stops being true. Its fixes are run as
// the printed `cove` commands (examples/landing-zone/cli.ts), so the printed text is what worked.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";

test("the landing-zone demo shows every failure mode and its fix", async () => {
  const out = await new Promise<{ code: number | null; text: string }>((ok) => {
    const c = spawn(process.execPath, ["dist/examples/landing-zone/demo.js"], { stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    c.stdout.on("data", (d) => (text += d));
    c.stderr.on("data", (d) => (text += d));
    const timer = setTimeout(() => c.kill("SIGKILL"), 120_000);
    c.on("close", (code) => { clearTimeout(timer); ok({ code, text }); });
  });
  assert.equal(out.code, 0, out.text);
  for (const n of [1, 2, 3, 4, 5, 6]) assert.match(out.text, new RegExp(`== ${n}\\. `), `step ${n}`);
  assert.match(out.text, /denied: client with IP '127\.99\.0\.10' is not allowed access/);
  assert.match(out.text, /i\/o timeout/);
  assert.match(out.text, /no such host/);
  assert.equal((out.text.match(/^ {3}fix: /gm) ?? []).length, 5, "every failure has its fix");
  // Each fix is a real `cove` command with the real names (no `...` or <placeholder>), then its az
  // equivalent, then the exit code of running it with the real CLI: the demo fails if one fails.
  const lines = out.text.split("\n");
  const fixes = lines.flatMap((l, i) => (/^ {5}\$ cove /.test(l) ? [i] : []));
  assert.ok(fixes.length >= 7, `cove fix commands printed: ${fixes.length}`);
  for (const i of fixes) {
    const cove = lines[i].replace(/^ {5}\$ /, "");
    assert.doesNotMatch(cove, /\.\.\.|<[a-z-]+>/, cove);
    assert.equal(lines[i + 1], `       az equivalent: ${cove.replace(/^cove /, "az ")}`);
    assert.equal(lines[i + 2], "       -> exit 0", cove);
  }
  const verbs = fixes.map((i) => lines[i].split(" ").filter((w) => /^[a-z-]+$/.test(w)).slice(1, 6).join(" "));
  for (const v of ["acr network-rule add", "network private-dns link vnet create", "acr private-endpoint-connection approve",
    "network private-dns record-set a add-record", "network private-endpoint dns-zone-group delete"]) {
    assert.ok(verbs.some((x) => x.startsWith(v)), `${v} among ${verbs.join("; ")}`);
  }
});
