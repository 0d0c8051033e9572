// The toolkit's commands when the management endpoint cannot be used: one that is not trusted (the
// profile without Cove's CA) and one that does not answer (a port nobody listens on). Each is a clear one-line
// error with exit 1 (docs/errors.md "CLI exit codes"), never a stack trace, and nothing is written.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { realCli, type RealCli } from "../cli/real-cli.js";
import { freePort } from "../support/cove.js";

let cli: RealCli;
let out: string;
before(async () => {
  cli = await realCli();
  await cli.ok("group", "create", "-n", "rg-me", "-l", "westeurope");
  await cli.ok("acr", "create", "-n", "mereg", "-g", "rg-me", "--sku", "Premium");
  out = await mkdtemp(join(tmpdir(), "cove-me-"));
});
after(async () => { await cli?.close(); });

const commands = (dir: string): string[][] => [
  ["acr", "preflight", "-n", "mereg", "--source-address", "127.99.3.3", "--json"],
  ["acr", "network-report", "-n", "mereg"],
  ["acr", "public-access", "readiness", "-n", "mereg"],
  ["acr", "check-health", "-n", "mereg", "--yes"],
  ["acr", "evidence", "export", "-n", "mereg", "--output-dir", join(dir, "bundle")],
];

async function expectClearFailure(pattern: RegExp, dir: string) {
  for (const args of commands(dir)) {
    const r = await cli.run(...args);
    assert.equal(r.code, 1, `${args.join(" ")}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, pattern, args.join(" "));
    assert.doesNotMatch(r.stderr, /\n\s+at /, `${args.join(" ")}: no stack trace`);
    assert.equal(r.stdout, "", `${args.join(" ")}: nothing printed as a result`);
  }
  const files = await readdir(dir).catch(() => []);
  assert.deepEqual(files, [], "no bundle was written");
}

test("an untrusted management endpoint: every toolkit command says the certificate is not trusted and how to trust it", async () => {
  const profile = join(cli.env.COVE_CONFIG_DIR!, "profile.json");
  const saved = await readFile(profile, "utf8");
  const p = JSON.parse(saved);
  delete p.caCertPath;
  await writeFile(profile, JSON.stringify(p));
  try {
    await expectClearFailure(/TLS: the server certificate of https:\/\/127\.0\.0\.1:\d+ is not trusted \([A-Z_]+\)\. Log in with --ca-cert/, await mkdtemp(join(out, "untrusted-")));
  } finally {
    await writeFile(profile, saved);
  }
});

test("a management endpoint that does not answer: every toolkit command says it cannot reach it", async () => {
  const ok = await cli.run("acr", "preflight", "-n", "mereg", "--source-address", "127.99.3.3", "--modelled", "--json");
  assert.equal(ok.code, 0, ok.stderr);
  // The profile of a Cove that is down: its address answers nothing (a port nobody listens on).
  const profile = join(cli.env.COVE_CONFIG_DIR!, "profile.json");
  const saved = await readFile(profile, "utf8");
  const p = JSON.parse(saved);
  const closed = `https://127.0.0.1:${await freePort()}`;
  p.managementEndpoint = closed;
  p.authorityHost = closed;
  await writeFile(profile, JSON.stringify(p));
  try {
    await expectClearFailure(/Cannot reach https:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)\. Is 'cove serve' running\?/, await mkdtemp(join(out, "down-")));
  } finally {
    await writeFile(profile, saved);
  }
});
